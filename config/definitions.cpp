#include "config/definitions.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "config/extract_definitions.hpp"
#include "config/fetch_definitions.hpp"
#include "config/url_range.hpp"
#include "config/view_definitions.hpp"

namespace tributary::config {
namespace {

using nlohmann::json;

constexpr size_t kMaxIdLength = 64;
constexpr size_t kMaxFieldNameLength = 128;

const std::vector<std::string> kSourceKeys = {"id",      "url",     "every",  "format",
                                              "records", "key",     "method", "headers",
                                              "body",    "timeout", "fields"};
const std::vector<std::string> kFieldKeys = {"select", "type",  "required", "multiple",
                                             "trim",   "regex", "default"};
const std::vector<std::string> kViewKeys = {"id", "sources", "key"};
const std::vector<std::string> kViewSourceKeys = {"id", "fields"};

std::vector<std::string> WithExtra(std::vector<std::string> keys,
                                   const std::vector<std::string>& extra) {
  keys.insert(keys.end(), extra.begin(), extra.end());
  return keys;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool HasControlCharacter(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7F; });
}

// An HTTP header name (RFC 9110 token).
bool IsToken(const std::string& s) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || kSpecials.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

void ParseHeaders(const json& v, const std::string& path, JsonReader& r, SourceConfig& s) {
  if (!r.ExpectObject(v, path)) return;
  std::set<std::string> seen;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string p = JoinKey(path, it.key());
    if (!IsToken(it.key())) {
      r.Error(p, "invalid header name " + Quote(it.key()));
      continue;
    }
    if (!seen.insert(Lower(it.key())).second) {
      r.Error(p, "header " + Quote(it.key()) + " is set twice (names ignore case)");
      continue;
    }
    auto value = r.String(it.value(), p);
    if (!value) continue;
    // The value itself is never quoted in a message: headers carry credentials.
    if (HasControlCharacter(*value)) {
      r.Error(p, "header values must not contain line breaks or control characters");
      continue;
    }
    s.headers.emplace_back(it.key(), std::move(*value));
  }
}

// A default value must be what the field's type produces (or null, or a list when multiple).
bool DefaultMatches(const json& v, ValueType type) {
  switch (type) {
    case ValueType::kNumber:
      return v.is_number();
    case ValueType::kInteger:
      return v.is_number_integer();
    case ValueType::kBoolean:
      return v.is_boolean();
    case ValueType::kString:
    case ValueType::kDate:
    case ValueType::kUrl:
      return v.is_string();
  }
  return false;
}

void CheckDefault(const json& v, const std::string& path, const FieldSpec& f, JsonReader& r) {
  if (v.is_null()) return;
  const std::string name = ValueTypeName(f.type);
  const std::string type = (name == "integer" ? "an " : "a ") + name;
  if (f.multiple && v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      if (!DefaultMatches(v[i], f.type)) {
        r.Error(JoinIndex(path, i),
                "expected " + type + " (the field's type), got " + JsonTypeName(v[i]));
      }
    }
    return;
  }
  if (!DefaultMatches(v, f.type)) {
    r.Error(path, "expected " + type + (f.multiple ? " or an array of them" : "") +
                      " (the field's type), got " + JsonTypeName(v));
  }
}

std::optional<FieldSpec> ParseField(const std::string& name, const json& v, const std::string& path,
                                    JsonReader& r) {
  FieldSpec f;
  f.name = name;
  if (v.is_string()) {
    f.select = v.get<std::string>();
    return f;
  }
  if (!v.is_object()) {
    r.Error(path, std::string("expected a selector string or an object, got ") + JsonTypeName(v));
    return std::nullopt;
  }
  const size_t before = r.error_count();
  bool has_select = false;
  bool type_ok = true;  // a default is checked against a type that was understood
  const json* default_value = nullptr;
  std::string default_path;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string& k = it.key();
    const std::string p = JoinKey(path, k);
    const json& value = it.value();
    if (k == "select") {
      has_select = true;
      if (auto s = r.String(value, p)) f.select = *s;
    } else if (k == "type") {
      if (auto t = r.Enum<ValueType>(value, p, "type",
                                     {{"string", ValueType::kString},
                                      {"number", ValueType::kNumber},
                                      {"integer", ValueType::kInteger},
                                      {"boolean", ValueType::kBoolean},
                                      {"date", ValueType::kDate},
                                      {"url", ValueType::kUrl}})) {
        f.type = *t;
      } else {
        type_ok = false;
      }
    } else if (k == "required") {
      if (auto b = r.Bool(value, p)) f.required = *b;
    } else if (k == "multiple") {
      if (auto b = r.Bool(value, p)) f.multiple = *b;
    } else if (k == "trim") {
      if (auto b = r.Bool(value, p)) f.trim = *b;
    } else if (k == "regex") {
      if (auto s = r.String(value, p)) f.regex = *s;
    } else if (k == "default") {
      default_value = &value;
      default_path = p;
    } else if (!ParseTransformKey(k, value, p, r, f)) {
      r.UnknownKey(path, k, WithExtra(kFieldKeys, TransformFieldKeys()));
    }
  }
  if (!has_select) r.MissingKey(path, "select");
  if (default_value != nullptr) {
    if (type_ok) CheckDefault(*default_value, default_path, f, r);
    f.default_value = *default_value;
  }
  if (r.error_count() != before) return std::nullopt;
  return f;
}

// The fields' names in the order to use: "field_order" when given and valid, else the object's.
std::vector<std::string> FieldOrder(const json& fields, const json* order,
                                    const std::string& order_path, JsonReader& r) {
  std::vector<std::string> names;
  for (auto it = fields.begin(); it != fields.end(); ++it) names.push_back(it.key());
  if (order == nullptr) return names;
  std::vector<std::string> listed;
  if (order->is_array()) {
    for (const auto& n : *order) {
      if (!n.is_string()) break;
      listed.push_back(n.get<std::string>());
    }
  }
  std::vector<std::string> a = listed;
  std::vector<std::string> b = names;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  if (!order->is_array() || listed.size() != order->size() || a != b) {
    r.Error(order_path, "must be an array naming every field exactly once");
    return names;
  }
  return listed;
}

// Returns every field name in order, including those of fields with errors.
std::vector<std::string> ParseFields(const json& v, const std::string& path, const json* order,
                                     const std::string& order_path, JsonReader& r,
                                     SourceConfig& s) {
  if (!r.ExpectObject(v, path)) return {};
  if (v.empty()) {
    r.Error(path, "must define at least one field");
    return {};
  }
  std::vector<std::string> names = FieldOrder(v, order, order_path, r);
  for (const auto& name : names) {
    const std::string p = JoinKey(path, name);
    if (name.empty() || name.size() > kMaxFieldNameLength || HasControlCharacter(name)) {
      r.Error(p, "field names must be 1 to " + std::to_string(kMaxFieldNameLength) +
                     " characters without control characters");
      continue;
    }
    if (auto f = ParseField(name, v.at(name), p, r)) s.fields.push_back(std::move(*f));
  }
  return names;
}

// `names`: every field name in order; nullopt when "fields" itself is missing or not an object.
void CheckKey(const json& v, const std::string& path,
              const std::optional<std::vector<std::string>>& names, JsonReader& r,
              SourceConfig& s) {
  auto key = r.StringList(v, path);
  if (!key) return;
  s.key = *key;
  if (!names) return;  // already reported
  for (size_t i = 0; i < key->size(); ++i) {
    const std::string& k = (*key)[i];
    if (std::find(names->begin(), names->end(), k) != names->end()) continue;
    r.Error(v.is_array() ? JoinIndex(path, i) : path,
            Quote(k) + " is not a field of this source" + Suggest(k, *names, "its fields are"));
  }
}

}  // namespace

bool IsValidId(const std::string& id) {
  return !id.empty() && id.size() <= kMaxIdLength &&
         std::all_of(id.begin(), id.end(), [](unsigned char c) {
           return std::isalnum(c) != 0 || c == '_' || c == '.' || c == '-';
         });
}

std::optional<std::string> IdValue(const json& v, const std::string& path, JsonReader& r) {
  auto id = r.String(v, path);
  if (!id) return std::nullopt;
  if (!IsValidId(*id)) {
    r.Error(path, "invalid id " + r.Shown(path, *id) + "; use 1 to " +
                      std::to_string(kMaxIdLength) + " letters, digits, '_', '.' or '-'");
    return std::nullopt;
  }
  return id;
}

std::optional<std::string> UrlProblem(const std::string& url) {
  const std::string kExpected = "expected an absolute URL such as \"https://example.com/page\"";
  const size_t colon = url.find(':');
  if (colon == std::string::npos || colon == 0 ||
      std::isalpha(static_cast<unsigned char>(url[0])) == 0 ||
      !std::all_of(url.begin(), url.begin() + static_cast<std::ptrdiff_t>(colon),
                   [](unsigned char c) {
                     return std::isalnum(c) != 0 || c == '+' || c == '-' || c == '.';
                   })) {
    return kExpected;
  }
  const std::string scheme = Lower(url.substr(0, colon));
  if (scheme != "http" && scheme != "https" && scheme != "file") {
    return "unsupported scheme " + Quote(scheme) + "; expected http, https or file";
  }
  if (std::any_of(url.begin(), url.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7F; })) {
    return std::string("contains spaces or control characters (encode spaces as %20)");
  }
  if (url.compare(colon + 1, 2, "//") != 0) return kExpected;
  const size_t authority_start = colon + 3;
  const size_t authority_end = url.find_first_of("/?#", authority_start);
  std::string authority = url.substr(authority_start, authority_end == std::string::npos
                                                          ? std::string::npos
                                                          : authority_end - authority_start);
  if (scheme == "file") {
    if (authority_end == std::string::npos || url[authority_end] != '/') {
      return std::string("a file URL needs an absolute path, e.g. \"file:///srv/data.json\"");
    }
    return std::nullopt;
  }
  if (size_t at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  std::string host;
  std::string port;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return std::string("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::string("invalid host");
      port = authority.substr(close + 2);
    }
  } else {
    const size_t c = authority.find(':');
    host = authority.substr(0, c);
    if (c != std::string::npos) port = authority.substr(c + 1);
  }
  if (host.empty()) return std::string("has no host");
  if (!port.empty() && (port.size() > 5 ||
                        !std::all_of(port.begin(), port.end(),
                                     [](unsigned char c) { return std::isdigit(c) != 0; }) ||
                        std::stoul(port) > 65535)) {
    return "invalid port " + Quote(port);
  }
  return std::nullopt;
}

std::string DefinitionText(const json& definition) {
  return definition.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<SourceConfig> ParseSourceWith(const json& definition, const std::string& path,
                                            JsonReader& r) {
  if (!r.ExpectObject(definition, path)) return std::nullopt;
  const size_t before = r.error_count();
  SourceConfig s;
  s.definition = DefinitionText(definition);
  const json* key = nullptr;
  const json* fields = nullptr;
  const json* order = nullptr;
  const json* body = nullptr;
  bool has_id = false;
  bool has_url = false;
  for (auto it = definition.begin(); it != definition.end(); ++it) {
    const std::string& k = it.key();
    const std::string p = JoinKey(path, k);
    const json& v = it.value();
    if (k == "id") {
      has_id = true;
      if (auto id = IdValue(v, p, r)) s.id = *id;
    } else if (k == "url") {
      has_url = true;
      auto url = r.NonEmptyString(v, p);
      if (!url) continue;
      if (auto problem = UrlProblem(*url)) {
        r.Error(p, "invalid URL " + r.Shown(p, *url) + ": " + *problem);
      } else if (auto range = ExpandUrlRange(*url); range && !range->error.empty()) {
        r.Error(p, "invalid URL range in " + r.Shown(p, *url) + ": " + range->error);
      } else {
        s.url = *url;
      }
    } else if (k == "every") {
      if (auto d = r.DurationValue(v, p, std::chrono::seconds(1))) s.every = *d;
    } else if (k == "timeout") {
      if (auto d = r.DurationValue(v, p, Duration(1))) s.timeout = *d;
    } else if (k == "format") {
      if (auto f = r.Enum<Format>(v, p, "format",
                                  {{"auto", Format::kAuto},
                                   {"html", Format::kHtml},
                                   {"xml", Format::kXml},
                                   {"feed", Format::kFeed},
                                   {"json", Format::kJson},
                                   {"csv", Format::kCsv},
                                   {"text", Format::kText}})) {
        s.format = *f;
      }
    } else if (k == "records") {
      if (auto rec = r.String(v, p)) s.records = *rec;
    } else if (k == "method") {
      if (auto m = r.Enum<std::string>(v, p, "method", {{"GET", "GET"}, {"POST", "POST"}})) {
        s.method = *m;
      }
    } else if (k == "headers") {
      ParseHeaders(v, p, r, s);
    } else if (k == "body") {
      if (auto b = r.String(v, p)) {
        s.body = *b;
        body = &v;
      }
    } else if (k == "key") {
      key = &v;
    } else if (k == "fields") {
      fields = &v;
    } else if (k == kFieldOrderKey) {
      order = &v;
    } else if (!ParseExtractionKey(k, v, p, r, s) && !ParseSourceFetchKey(k, v, p, r, s)) {
      r.UnknownKey(path, k,
                   WithExtra(WithExtra(kSourceKeys, ExtractionSourceKeys()), SourceFetchKeys()));
    }
  }
  if (!has_id) r.MissingKey(path, "id");
  if (!has_url) r.MissingKey(path, "url");
  if (!s.fetch.cron.empty() && definition.contains("every")) {
    r.Error(JoinKey(path, "cron"), "use either \"every\" or \"cron\", not both");
  }
  if (body != nullptr && !s.body.empty() && s.method != "POST") {
    r.Error(JoinKey(path, "body"), "a request body needs \"method\": \"POST\"");
  }
  std::optional<std::vector<std::string>> names;
  if (fields == nullptr) {
    if (!FieldsOptional(s.format)) r.MissingKey(path, "fields");
  } else if (fields->is_object()) {
    names =
        ParseFields(*fields, JoinKey(path, "fields"), order, JoinKey(path, kFieldOrderKey), r, s);
  } else {
    r.ExpectObject(*fields, JoinKey(path, "fields"));
  }
  if (key == nullptr) {
    if (s.format != Format::kFeed) r.MissingKey(path, "key");
  } else {
    CheckKey(*key, JoinKey(path, "key"), names, r, s);
  }
  FinishExtraction(path, fields, key != nullptr, r, s);
  if (r.error_count() != before) return std::nullopt;
  return s;
}

namespace {

std::optional<ViewSourceRef> ParseViewSource(const json& v, const std::string& path,
                                             JsonReader& r) {
  ViewSourceRef ref;
  if (v.is_string()) {
    auto id = r.NonEmptyString(v, path);
    if (!id) return std::nullopt;
    ref.id = *id;
    return ref;
  }
  if (!v.is_object()) {
    r.Error(path, std::string("expected a source id or an object, got ") + JsonTypeName(v));
    return std::nullopt;
  }
  const size_t before = r.error_count();
  bool has_id = false;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string p = JoinKey(path, it.key());
    if (it.key() == "id") {
      has_id = true;
      if (auto id = r.NonEmptyString(it.value(), p)) ref.id = *id;
    } else if (it.key() == "fields") {
      if (!r.ExpectObject(it.value(), p)) continue;
      for (auto f = it.value().begin(); f != it.value().end(); ++f) {
        const std::string fp = JoinKey(p, f.key());
        if (f.key().empty()) {
          r.Error(fp, "view field names must not be empty");
          continue;
        }
        if (auto source_field = r.NonEmptyString(f.value(), fp)) {
          ref.fields[f.key()] = *source_field;
        }
      }
    } else {
      r.UnknownKey(path, it.key(), kViewSourceKeys);
    }
  }
  if (!has_id) r.MissingKey(path, "id");
  if (r.error_count() != before) return std::nullopt;
  return ref;
}

}  // namespace

std::optional<ViewConfig> ParseViewWith(const json& definition, const std::string& path,
                                        JsonReader& r) {
  if (!r.ExpectObject(definition, path)) return std::nullopt;
  const size_t before = r.error_count();
  ViewConfig view;
  view.definition = definition;
  bool has_id = false;
  bool has_sources = false;
  for (auto it = definition.begin(); it != definition.end(); ++it) {
    const std::string& k = it.key();
    const std::string p = JoinKey(path, k);
    const json& v = it.value();
    if (k == "id") {
      has_id = true;
      if (auto id = IdValue(v, p, r)) view.id = *id;
    } else if (k == "sources") {
      has_sources = true;
      if (!r.ExpectArray(v, p)) continue;
      if (v.empty()) {
        r.Error(p, "must list at least one source");
        continue;
      }
      std::map<std::string, size_t> first_index;  // source id -> its entry in the array
      for (size_t i = 0; i < v.size(); ++i) {
        const std::string sp = JoinIndex(p, i);
        auto ref = ParseViewSource(v[i], sp, r);
        if (!ref) continue;
        if (auto [same, added] = first_index.emplace(ref->id, i); !added) {
          r.Error(sp, "source " + Quote(ref->id) + " is listed twice in this view (also at " +
                          JoinIndex(p, same->second) + ")");
          continue;
        }
        view.sources.push_back(std::move(*ref));
      }
    } else if (k == "key") {
      if (auto key = r.StringList(v, p)) view.key = *key;
    } else if (!ParseViewOption(k, v, path, r, view)) {
      std::vector<std::string> known = kViewKeys;
      known.insert(known.end(), ViewOptionKeys().begin(), ViewOptionKeys().end());
      r.UnknownKey(path, k, known);
    }
  }
  FinishViewOptions(definition, path, r, view);
  if (!has_id) r.MissingKey(path, "id");
  if (!has_sources) r.MissingKey(path, "sources");
  if (r.error_count() != before) return std::nullopt;
  return view;
}

std::optional<SourceConfig> ParseSource(const json& definition, const std::string& path,
                                        std::vector<ConfigError>& errors) {
  JsonReader reader(errors);
  return ParseSourceWith(definition, path, reader);
}

std::optional<ViewConfig> ParseView(const json& definition, const std::string& path,
                                    std::vector<ConfigError>& errors) {
  JsonReader reader(errors);
  return ParseViewWith(definition, path, reader);
}

}  // namespace tributary::config
