#include "config/loader.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <system_error>

#include "config/api_definitions.hpp"
#include "config/definitions.hpp"
#include "config/extract_definitions.hpp"
#include "config/fetch_definitions.hpp"
#include "config/json_reader.hpp"
#include "config/view_definitions.hpp"

namespace tributary::config {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// Deeper documents are refused before anything walks them recursively.
constexpr int kMaxDepth = 64;

const std::vector<std::string> kTopKeys = {"listen",  "data_dir", "log",   "fetch",   "workers",
                                           "sources", "views",    "api",   "webhooks", "history", "groups"};
const std::vector<std::string> kLogKeys = {"level", "format"};
const std::vector<std::string> kFetchKeys = {
    "io_threads", "user_agent", "timeout", "connect_timeout", "max_body", "allow_private_networks"};
const std::vector<std::string> kWorkersKeys = {"processes", "job_timeout", "max_memory"};

// The parsed file: the tree in file order, each value's position in document order (a preorder
// index by path, to report errors in document order) and the text of substituted strings.
struct Document {
  ordered_json root;
  std::map<std::string, size_t> ordinal;
  RawStrings raw;
  std::set<std::string> unresolved;  // paths of strings with a failed substitution
};

// nlohmann reports the byte offset of the last character it read; users want line and column.
ConfigError SyntaxError(std::string_view text, const ordered_json::parse_error& e) {
  const size_t pos = std::min<size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
  size_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < pos; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  size_t column = 1;
  for (size_t i = line_start; i < pos; ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;  // count characters
  }
  // what(): "[json.exception.parse_error.101] parse error at line 2, column 8: <detail>".
  std::string detail = e.what();
  if (size_t at = detail.find("parse error"); at != std::string::npos) {
    if (size_t colon = detail.find(": ", at); colon != std::string::npos) {
      detail.erase(0, colon + 2);
    }
  }
  return ConfigError{"", "invalid JSON at line " + std::to_string(line) + ", column " +
                             std::to_string(column) + ": " + detail};
}

// Parses `text` keeping key order; reports duplicate keys (nlohmann would keep the last
// silently) and refuses deep nesting. False when there is no usable tree.
bool ParseDocument(std::string_view text, Document& doc, std::vector<ConfigError>& errors) {
  struct Frame {
    bool object;
    std::set<std::string> keys;
    std::string key;   // the current member, when object
    size_t index = 0;  // the current element, when array
  };
  std::vector<Frame> stack;
  bool too_deep = false;
  auto path_of = [&stack](const std::string& last_key) {
    std::string path;
    for (size_t i = 0; i + 1 < stack.size(); ++i) {
      path = stack[i].object ? JoinKey(path, stack[i].key) : JoinIndex(path, stack[i].index);
    }
    return JoinKey(path, last_key);
  };
  auto callback = [&](int depth, ordered_json::parse_event_t event, ordered_json& parsed) {
    using E = ordered_json::parse_event_t;
    switch (event) {
      case E::object_start:
      case E::array_start:
        if (depth >= kMaxDepth) too_deep = true;
        stack.push_back(Frame{event == E::object_start, {}, {}, 0});
        break;
      case E::key: {
        Frame& f = stack.back();
        f.key = parsed.get<std::string>();
        if (!f.keys.insert(f.key).second) {
          errors.push_back({path_of(f.key), "duplicate key " + Quote(f.key)});
        }
        break;
      }
      case E::object_end:
      case E::array_end:
        stack.pop_back();
        if (!stack.empty() && !stack.back().object) ++stack.back().index;
        break;
      case E::value:
        if (!stack.empty() && !stack.back().object) ++stack.back().index;
        break;
    }
    return true;
  };
  try {
    doc.root = ordered_json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/true,
                                   /*ignore_comments=*/true);
  } catch (const ordered_json::parse_error& e) {
    errors.push_back(SyntaxError(text, e));
    return false;
  }
  if (too_deep) {
    errors.push_back(
        {"", "values are nested more than " + std::to_string(kMaxDepth) + " levels deep"});
    return false;
  }
  return true;
}

bool IsEnvName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) != 0) return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '_'; });
}

// ${NAME} -> the variable's value; ${NAME:-text} -> its value, or `text` when it is unset or
// empty; $${ -> a literal ${. Problems are reported at `path` without any substituted value.
std::string Expand(const std::string& in, const std::string& path, const EnvLookup& env,
                   std::vector<ConfigError>& errors) {
  std::string out;
  size_t i = 0;
  while (i < in.size()) {
    if (in.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (in.compare(i, 2, "${") != 0) {
      out += in[i++];
      continue;
    }
    const size_t close = in.find('}', i + 2);
    if (close == std::string::npos) {
      errors.push_back({path, "unterminated \"${\" (write \"$${\" for a literal \"${\")"});
      out.append(in, i);
      break;
    }
    std::string name = in.substr(i + 2, close - i - 2);
    std::optional<std::string> fallback;
    if (size_t dash = name.find(":-"); dash != std::string::npos) {
      fallback = name.substr(dash + 2);
      name.erase(dash);
    }
    i = close + 1;
    if (!IsEnvName(name)) {
      errors.push_back(
          {path, "invalid environment variable name " + Quote(name) +
                     " (letters, digits and '_'; write \"$${\" for a literal \"${\")"});
      continue;
    }
    auto value = env ? env(name) : std::nullopt;
    if (fallback && (!value || value->empty())) value = fallback;
    if (value) {
      out += *value;
    } else {
      errors.push_back({path, "environment variable " + name + " is not set"});
    }
  }
  return out;
}

// Substitutes every string value and numbers every value in document order.
void Walk(ordered_json& node, const std::string& path, const EnvLookup& env, Document& doc,
          std::vector<ConfigError>& errors) {
  doc.ordinal.emplace(path, doc.ordinal.size());
  if (node.is_string()) {
    const std::string& text = node.get_ref<const std::string&>();
    if (text.find("${") == std::string::npos) return;
    doc.raw[path] = text;
    const size_t before = errors.size();
    std::string expanded = Expand(text, path, env, errors);
    if (errors.size() != before) {
      doc.unresolved.insert(path);
    } else {
      node = std::move(expanded);
    }
  } else if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      Walk(it.value(), JoinKey(path, it.key()), env, doc, errors);
    }
  } else if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i) Walk(node[i], JoinIndex(path, i), env, doc, errors);
  }
}

// The document position of an error: its path's, else its nearest known ancestor's.
size_t OrdinalOf(std::string path, const std::map<std::string, size_t>& ordinal) {
  while (true) {
    if (auto it = ordinal.find(path); it != ordinal.end()) return it->second;
    if (path.empty()) return 0;
    const size_t cut = path.find_last_of(".[");
    path.erase(cut == std::string::npos ? 0 : cut);
  }
}

std::optional<ListenAddress> ParseListenText(const std::string& text, std::string& why) {
  ListenAddress out;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos) {
      why = "unterminated '['";
      return std::nullopt;
    }
    out.host = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':') {
      why = "missing port";
      return std::nullopt;
    }
    port = text.substr(close + 2);
    const bool ok = out.host.find(':') != std::string::npos &&
                    std::all_of(out.host.begin(), out.host.end(), [](unsigned char c) {
                      return std::isxdigit(c) != 0 || c == ':' || c == '.';
                    });
    if (!ok) {
      why = "invalid IPv6 address " + Quote(out.host);
      return std::nullopt;
    }
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos) {
      why = "missing port";
      return std::nullopt;
    }
    out.host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) {
      why = "IPv6 addresses need brackets";
      return std::nullopt;
    }
    if (out.host.empty()) {
      why = "missing host (use 0.0.0.0 for every interface)";
      return std::nullopt;
    }
    const bool ok = std::all_of(out.host.begin(), out.host.end(), [](unsigned char c) {
      return std::isalnum(c) != 0 || c == '.' || c == '-' || c == '_';
    });
    if (!ok) {
      why = "invalid host " + Quote(out.host);
      return std::nullopt;
    }
  }
  const bool digits =
      !port.empty() && port.size() <= 5 &&
      std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
  if (!digits || std::stoul(port) > 65535) {
    why = "invalid port " + Quote(port) + " (0 to 65535; 0 picks a free port)";
    return std::nullopt;
  }
  out.port = static_cast<uint16_t>(std::stoul(port));
  return out;
}

void ParseListen(const json& v, const std::string& path, JsonReader& r, Config& cfg) {
  auto text = r.String(v, path);
  if (!text) return;
  std::string why;
  if (auto address = ParseListenText(*text, why)) {
    cfg.listen = *address;
    return;
  }
  r.Error(path, "invalid address " + r.Shown(path, *text) + ": " + why +
                    "; expected \"host:port\", e.g. \"127.0.0.1:8080\" or \"[::1]:8080\"");
}

void ParseLog(const json& v, const std::string& path, JsonReader& r, LogConfig& log) {
  if (!r.ExpectObject(v, path)) return;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string p = JoinKey(path, it.key());
    if (it.key() == "level") {
      if (auto level = r.Enum<std::string>(it.value(), p, "log level",
                                           {{"trace", "trace"},
                                            {"debug", "debug"},
                                            {"info", "info"},
                                            {"warn", "warn"},
                                            {"error", "error"},
                                            {"critical", "critical"},
                                            {"off", "off"}})) {
        log.level = *level;
      }
    } else if (it.key() == "format") {
      if (auto json_lines =
              r.Enum<bool>(it.value(), p, "log format", {{"text", false}, {"json", true}})) {
        log.json = *json_lines;
      }
    } else {
      r.UnknownKey(path, it.key(), kLogKeys);
    }
  }
}

void ParseFetch(const json& v, const std::string& path, JsonReader& r, FetchConfig& fetch) {
  if (!r.ExpectObject(v, path)) return;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string& k = it.key();
    const std::string p = JoinKey(path, k);
    const json& value = it.value();
    if (k == "io_threads") {
      if (auto n = r.Integer(value, p, 1, 64)) fetch.io_threads = static_cast<int>(*n);
    } else if (k == "user_agent") {
      auto agent = r.NonEmptyString(value, p);
      if (agent && std::any_of(agent->begin(), agent->end(),
                               [](unsigned char c) { return c < 0x20 || c == 0x7F; })) {
        r.Error(p, "must not contain line breaks or control characters");
      } else if (agent) {
        fetch.user_agent = *agent;
      }
    } else if (k == "timeout") {
      if (auto d = r.DurationValue(value, p, Duration(1))) fetch.timeout = *d;
    } else if (k == "connect_timeout") {
      if (auto d = r.DurationValue(value, p, Duration(1))) fetch.connect_timeout = *d;
    } else if (k == "max_body") {
      if (auto n = r.Size(value, p, 1)) fetch.max_body = *n;
    } else if (k == "allow_private_networks") {
      if (auto b = r.Bool(value, p)) fetch.allow_private_networks = *b;
    } else if (!ParseFetchPolicyKey(k, value, p, r, fetch.policy)) {
      std::vector<std::string> known = kFetchKeys;
      known.insert(known.end(), FetchPolicyKeys().begin(), FetchPolicyKeys().end());
      r.UnknownKey(path, k, known);
    }
  }
}

void ParseWorkers(const json& v, const std::string& path, JsonReader& r, WorkersConfig& workers) {
  if (!r.ExpectObject(v, path)) return;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string p = JoinKey(path, it.key());
    if (it.key() == "processes") {
      if (auto n = r.Integer(it.value(), p, 0, 256)) workers.processes = static_cast<int>(*n);
    } else if (it.key() == "job_timeout") {
      if (auto d = r.DurationValue(it.value(), p, Duration(1))) workers.job_timeout = *d;
    } else if (it.key() == "max_memory") {
      // Below this a worker (our whole binary, mapped) cannot even start.
      if (auto n = r.Size(it.value(), p, 64ull << 20)) workers.max_memory = *n;
    } else {
      r.UnknownKey(path, it.key(), kWorkersKeys);
    }
  }
}

// Every source id the file declares, valid or not: index into Config::sources, or nullopt
// when that source has errors of its own (views naming it then get no further errors).
using DeclaredSources = std::map<std::string, std::optional<size_t>>;

void ParseSources(const ordered_json& node, JsonReader& r, Config& cfg, DeclaredSources& declared) {
  if (!r.ExpectArray(json(node), "sources")) return;
  // A SourceConfig is ~1 KB: grown by doubling, 10,000 sources would keep room for 16,384.
  cfg.sources.reserve(node.size());
  std::map<std::string, size_t> first;  // id -> index of the first source with it
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string path = JoinIndex("sources", i);
    const ordered_json& item = node[i];
    json definition = item;
    if (item.is_object() && item.contains("fields") && item.at("fields").is_object() &&
        !item.contains(kFieldOrderKey)) {
      json order = json::array();
      const ordered_json& fields = item.at("fields");
      for (auto it = fields.begin(); it != fields.end(); ++it) {
        order.push_back(it.key());
      }
      definition[kFieldOrderKey] = std::move(order);
    }
    auto source = ParseSourceWith(definition, path, r);
    if (!item.is_object() || !item.contains("id") || !item.at("id").is_string()) continue;
    const std::string id = item.at("id").get<std::string>();
    if (auto [it, added] = first.emplace(id, i); !added) {
      r.Error(JoinKey(path, "id"), "duplicate source id " + Quote(id) + " (also " +
                                       JoinIndex("sources", it->second) + ")");
      continue;
    }
    if (source) {
      declared[id] = cfg.sources.size();
      cfg.sources.push_back(std::move(*source));
    } else {
      declared[id] = std::nullopt;
    }
  }
}

// A source's field names (extract_definitions.hpp: feeds and CSV columns without "fields").
std::vector<std::string> FieldNames(const SourceConfig& source) {
  return SourceFieldNames(source).value_or(std::vector<std::string>{});
}

// The view's field names a source provides, as combine::MergeView renames them: renamed fields,
// then the source's other fields unless a rename consumed or claimed the name.
std::set<std::string> ProvidedFields(const ViewSourceRef& ref, const SourceConfig& source) {
  std::set<std::string> out;
  std::set<std::string> consumed;
  for (const auto& [view_field, source_field] : ref.fields) {
    out.insert(view_field);
    consumed.insert(source_field);
  }
  for (const auto& name : FieldNames(source)) {
    if (!consumed.count(name)) out.insert(name);
  }
  return out;
}

// Checks a view against the sources it names and fills in its default key. False on errors.
bool ResolveView(ViewConfig& view, const ordered_json& node, const std::string& path,
                 const DeclaredSources& declared, const Config& cfg, JsonReader& r) {
  std::vector<std::string> known;
  for (const auto& [id, index] : declared) known.push_back(id);
  std::vector<const SourceConfig*> sources;
  bool ok = true;
  for (size_t j = 0; j < view.sources.size(); ++j) {
    const ViewSourceRef& ref = view.sources[j];
    const std::string sp = JoinIndex(JoinKey(path, "sources"), j);
    auto found = declared.find(ref.id);
    if (found == declared.end()) {
      const bool is_object = node.at("sources").at(j).is_object();
      r.Error(is_object ? JoinKey(sp, "id") : sp,
              "unknown source " + Quote(ref.id) +
                  (known.empty() ? "; no sources are defined"
                                 : Suggest(ref.id, known, "known sources are")));
      ok = false;
      continue;
    }
    if (!found->second) {
      ok = false;  // the source's own errors say what is wrong
      continue;
    }
    const SourceConfig& source = cfg.sources[*found->second];
    sources.push_back(&source);
    const auto names = FieldNames(source);
    for (const auto& [view_field, source_field] : ref.fields) {
      if (std::find(names.begin(), names.end(), source_field) != names.end()) continue;
      if (!SourceFieldNames(source)) continue;  // CSV / text: the document names its fields
      r.Error(JoinKey(JoinKey(sp, "fields"), view_field),
              Quote(source_field) + " is not a field of source " + Quote(ref.id) +
                  Suggest(source_field, names, "its fields are"));
      ok = false;
    }
  }
  if (!ok) return false;
  if (view.key.empty()) {
    // The first source's key, under the names this view gives those fields.
    const ViewSourceRef& ref = view.sources.front();
    for (const auto& k : sources.front()->key) {
      std::string name = k;
      for (const auto& [view_field, source_field] : ref.fields) {
        if (source_field == k) {
          name = view_field;
          break;
        }
      }
      view.key.push_back(name);
    }
    view.definition["key"] = view.key.size() == 1 ? json(view.key.front()) : json(view.key);
  }
  std::set<std::string> all_provided;
  for (size_t j = 0; j < view.sources.size(); ++j) {
    const auto provided = ProvidedFields(view.sources[j], *sources[j]);
    all_provided.insert(provided.begin(), provided.end());
    for (const auto& k : view.key) {
      if (provided.count(k) || !SourceFieldNames(*sources[j])) continue;
      r.Error(JoinIndex(JoinKey(path, "sources"), j),
              "source " + Quote(view.sources[j].id) + " has no field " + Quote(k) +
                  " for the view's key; map one of its fields to it with \"fields\": {" + Quote(k) +
                  ": \"<its field>\"}");
      ok = false;
    }
  }
  const size_t before = r.error_count();
  CheckViewOptionFields(view, all_provided, path, r);
  return ok && r.error_count() == before;
}

void ParseViews(const ordered_json& node, JsonReader& r, const DeclaredSources& declared,
                Config& cfg) {
  if (!r.ExpectArray(json(node), "views")) return;
  std::map<std::string, size_t> first;
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string path = JoinIndex("views", i);
    const ordered_json& item = node[i];
    auto view = ParseViewWith(json(item), path, r);
    if (item.is_object() && item.contains("id") && item.at("id").is_string()) {
      const std::string id = item.at("id").get<std::string>();
      if (auto [it, added] = first.emplace(id, i); !added) {
        r.Error(JoinKey(path, "id"), "duplicate view id " + Quote(id) + " (also " +
                                         JoinIndex("views", it->second) + ")");
        continue;
      }
    }
    if (view && ResolveView(*view, item, path, declared, cfg, r)) {
      cfg.views.push_back(std::move(*view));
    }
  }
}

}  // namespace

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* value = std::getenv(name.c_str())) return std::string(value);
    return std::nullopt;
  };
}

LoadResult ParseConfig(std::string_view json_text, const EnvLookup& env) {
  LoadResult result;
  auto& errors = result.errors;
  Document doc;
  if (!ParseDocument(json_text, doc, errors)) return result;
  if (!doc.root.is_object()) {
    errors.push_back({"", std::string("the configuration must be a JSON object, got ") +
                              JsonTypeName(json(doc.root))});
    return result;
  }
  Walk(doc.root, "", env, doc, errors);
  JsonReader r(errors, &doc.raw, &doc.unresolved);

  Config cfg;
  const ordered_json* sources = nullptr;
  const ordered_json* views = nullptr;
  for (auto it = doc.root.begin(); it != doc.root.end(); ++it) {
    const std::string& k = it.key();
    if (k == "sources") {
      sources = &it.value();
      continue;
    }
    if (k == "views") {
      views = &it.value();
      continue;
    }
    const json v = it.value();
    if (k == "listen") {
      ParseListen(v, k, r, cfg);
    } else if (k == "data_dir") {
      if (auto dir = r.NonEmptyString(v, k)) cfg.data_dir = *dir;
    } else if (k == "log") {
      ParseLog(v, k, r, cfg.log);
    } else if (k == "fetch") {
      ParseFetch(v, k, r, cfg.fetch);
    } else if (k == "workers") {
      ParseWorkers(v, k, r, cfg.workers);
    } else if (k == "api") {
      ParseApi(v, k, r, cfg.api);
    } else if (k == "webhooks") {
      ParseWebhooks(v, k, r, cfg.webhooks);
    } else if (k == "history") {
      ParseHistory(v, k, r, cfg.history);
    } else if (k == "groups") {
      ParseGroups(v, k, r, cfg.groups);
    } else {
      r.UnknownKey("", k, kTopKeys);
    }
  }
  DeclaredSources declared;
  if (sources != nullptr) ParseSources(*sources, r, cfg, declared);
  if (views != nullptr) ParseViews(*views, r, declared, cfg);
  CheckWebhookReferences(cfg, r);
  CheckFetchReferences(cfg, r);

  std::stable_sort(errors.begin(), errors.end(),
                   [&doc](const ConfigError& a, const ConfigError& b) {
                     return OrdinalOf(a.path, doc.ordinal) < OrdinalOf(b.path, doc.ordinal);
                   });
  if (errors.empty()) result.config = std::move(cfg);
  return result;
}

LoadResult LoadConfigFile(const std::string& path, const EnvLookup& env) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  std::string text;
  int error = file == nullptr ? errno : 0;
  if (file != nullptr) {
    errno = 0;
    char buffer[64 * 1024];
    size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
    if (std::ferror(file)) error = errno != 0 ? errno : EIO;
    std::fclose(file);
  }
  if (error != 0) {
    LoadResult result;
    result.errors.push_back({"", "cannot read configuration file " + Quote(path) + ": " +
                                     std::generic_category().message(error)});
    return result;
  }
  return ParseConfig(text, env);
}

}  // namespace tributary::config
