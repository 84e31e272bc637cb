#include "config/json_reader.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace tributary::config {
namespace {

constexpr size_t kMaxQuoted = 80;

bool IsPlainKey(std::string_view key) {
  if (key.empty()) return false;
  return std::all_of(key.begin(), key.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '_' || c == '-'; });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string JoinKey(std::string_view path, std::string_view key) {
  std::string out(path);
  if (IsPlainKey(key)) {
    if (!out.empty()) out += '.';
    out += key;
  } else {
    out += '[';
    out += nlohmann::json(std::string(key))
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += ']';
  }
  return out;
}

std::string JoinIndex(std::string_view path, size_t index) {
  return std::string(path) + "[" + std::to_string(index) + "]";
}

const char* JsonTypeName(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::boolean:
      return "boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "integer";
    case nlohmann::json::value_t::number_float:
      return "number";
    case nlohmann::json::value_t::string:
      return "string";
    case nlohmann::json::value_t::array:
      return "array";
    case nlohmann::json::value_t::object:
      return "object";
    default:
      return "value";
  }
}

std::string Quote(std::string_view text) {
  std::string shown(text);
  if (shown.size() > kMaxQuoted) {
    size_t cut = kMaxQuoted - 3;
    // Do not split a UTF-8 sequence: back up over continuation bytes.
    while (cut > 0 && (static_cast<unsigned char>(shown[cut]) & 0xC0) == 0x80) --cut;
    shown = shown.substr(0, cut) + "...";
  }
  return nlohmann::json(shown).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

size_t EditDistance(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  const size_t m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::optional<std::string> ClosestMatch(std::string_view input,
                                        const std::vector<std::string>& candidates) {
  // Case is ignored: "URL" is a likely typo of "url" even though every letter differs.
  const std::string lowered = Lower(input);
  const size_t limit = std::max<size_t>(1, input.size() / 3);
  std::optional<std::string> best;
  size_t best_distance = std::numeric_limits<size_t>::max();
  for (const auto& c : candidates) {
    const size_t d = EditDistance(lowered, Lower(c));
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  if (!best || best_distance > limit || best_distance >= input.size()) return std::nullopt;
  return best;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::string Suggest(std::string_view input, const std::vector<std::string>& known,
                    std::string_view list_intro) {
  if (auto match = ClosestMatch(input, known)) return "; did you mean " + Quote(*match) + "?";
  if (known.empty()) return "";
  return "; " + std::string(list_intro) + " " + JoinNames(known);
}

void JsonReader::Error(std::string path, std::string message) {
  ++problems_;
  // A value whose ${ENV} substitution failed has been reported already; whatever else is wrong
  // with its unsubstituted text is noise.
  if (unresolved_ != nullptr && unresolved_->count(path)) return;
  errors_.push_back(ConfigError{std::move(path), std::move(message)});
}

std::string JsonReader::Shown(const std::string& path, const std::string& value) const {
  if (raw_ != nullptr) {
    if (auto it = raw_->find(path); it != raw_->end()) return Quote(it->second);
  }
  return Quote(value);
}

bool JsonReader::ExpectObject(const nlohmann::json& v, const std::string& path) {
  if (v.is_object()) return true;
  Error(path, std::string("expected an object, got ") + JsonTypeName(v));
  return false;
}

bool JsonReader::ExpectArray(const nlohmann::json& v, const std::string& path) {
  if (v.is_array()) return true;
  Error(path, std::string("expected an array, got ") + JsonTypeName(v));
  return false;
}

std::optional<std::string> JsonReader::String(const nlohmann::json& v, const std::string& path) {
  if (v.is_string()) return v.get<std::string>();
  Error(path, std::string("expected a string, got ") + JsonTypeName(v));
  return std::nullopt;
}

std::optional<std::string> JsonReader::NonEmptyString(const nlohmann::json& v,
                                                      const std::string& path) {
  auto s = String(v, path);
  if (s && s->empty()) {
    Error(path, "must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<bool> JsonReader::Bool(const nlohmann::json& v, const std::string& path) {
  if (v.is_boolean()) return v.get<bool>();
  Error(path, std::string("expected a boolean, got ") + JsonTypeName(v));
  return std::nullopt;
}

std::optional<int64_t> JsonReader::Integer(const nlohmann::json& v, const std::string& path,
                                           int64_t min, int64_t max) {
  if (!v.is_number_integer()) {
    Error(path, std::string("expected an integer, got ") + JsonTypeName(v));
    return std::nullopt;
  }
  const bool too_big =
      v.is_number_unsigned() &&
      v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  const int64_t n = too_big ? std::numeric_limits<int64_t>::max() : v.get<int64_t>();
  if (too_big || n < min || n > max) {
    Error(path, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                    ", got " + v.dump());
    return std::nullopt;
  }
  return n;
}

std::optional<Duration> JsonReader::DurationValue(const nlohmann::json& v, const std::string& path,
                                                  Duration min) {
  if (!v.is_string()) {
    Error(path, std::string("expected a duration string such as \"30s\", got ") + JsonTypeName(v));
    return std::nullopt;
  }
  const auto& text = v.get_ref<const std::string&>();
  auto d = ParseDuration(text);
  if (!d) {
    Error(path, "invalid duration " + Shown(path, text) +
                    "; expected a number with a unit, e.g. \"500ms\", \"30s\", \"15m\", \"2h\"");
    return std::nullopt;
  }
  if (*d < min) {
    const std::string bound =
        min <= Duration(1) ? "must be greater than 0" : "must be at least " + FormatDuration(min);
    Error(path, bound + ", got " + Shown(path, text));
    return std::nullopt;
  }
  return d;
}

std::optional<uint64_t> JsonReader::Size(const nlohmann::json& v, const std::string& path,
                                         uint64_t min) {
  std::optional<uint64_t> size;
  std::string shown;
  if (v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0)) {
    size = v.get<uint64_t>();
    shown = v.dump();
  } else if (v.is_string()) {
    const auto& text = v.get_ref<const std::string&>();
    shown = Shown(path, text);
    size = ParseSize(text);
    if (!size) {
      Error(path, "invalid size " + shown +
                      "; expected a byte count with an optional unit, e.g. \"4096\", \"512KiB\", "
                      "\"16MiB\", \"1GB\"");
      return std::nullopt;
    }
  } else {
    Error(path, std::string("expected a size such as \"16MiB\" or a byte count, got ") +
                    (v.is_number_integer() ? "a negative integer" : JsonTypeName(v)));
    return std::nullopt;
  }
  if (*size < min) {
    Error(path, (min <= 1 ? std::string("must be greater than 0")
                          : "must be at least " + std::to_string(min) + " bytes") +
                    ", got " + shown);
    return std::nullopt;
  }
  return size;
}

std::optional<std::vector<std::string>> JsonReader::StringList(const nlohmann::json& v,
                                                               const std::string& path) {
  if (v.is_string()) {
    auto s = NonEmptyString(v, path);
    if (!s) return std::nullopt;
    return std::vector<std::string>{*s};
  }
  if (!v.is_array()) {
    Error(path, std::string("expected a string or an array of strings, got ") + JsonTypeName(v));
    return std::nullopt;
  }
  if (v.empty()) {
    Error(path, "must name at least one field");
    return std::nullopt;
  }
  const size_t before = error_count();
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string item_path = JoinIndex(path, i);
    auto s = NonEmptyString(v[i], item_path);
    if (!s) continue;
    if (std::find(out.begin(), out.end(), *s) != out.end()) {
      Error(item_path, Quote(*s) + " is listed twice");
      continue;
    }
    out.push_back(std::move(*s));
  }
  if (error_count() != before) return std::nullopt;
  return out;
}

void JsonReader::UnknownKey(const std::string& object_path, const std::string& key,
                            const std::vector<std::string>& allowed) {
  Error(JoinKey(object_path, key),
        "unknown key " + Quote(key) + Suggest(key, allowed, "expected one of"));
}

void JsonReader::MissingKey(const std::string& object_path, const std::string& key) {
  Error(object_path, "missing required key " + Quote(key));
}

}  // namespace tributary::config
