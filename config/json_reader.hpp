#pragma once
// JsonReader: typed reads of JSON values that report every problem as a ConfigError carrying the
// value's path ("sources[2].fields.price.type"), so the loader states each rule once and never
// stops at the first error. Also the path, quoting and did-you-mean helpers the loader shares.
// Thread safety: a reader appends to the error list it was given; use one per thread.

#include <cstdint>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/loader.hpp"

namespace tributary::config {

// What the user wrote for string values that contained ${ENV} references, by path. Messages
// quote this instead of the substituted value, which may be a secret.
using RawStrings = std::map<std::string, std::string>;

// "sources[0]" + "every" -> "sources[0].every"; keys that are not plain words are bracketed:
// "headers[\"X Y\"]". An empty path yields the key alone.
std::string JoinKey(std::string_view path, std::string_view key);
// "sources" + 2 -> "sources[2]".
std::string JoinIndex(std::string_view path, size_t index);

// The JSON type name used in messages: null, boolean, integer, number, string, array, object.
const char* JsonTypeName(const nlohmann::json& value);

// `text` as a JSON string literal for messages: escaped, long values shortened.
std::string Quote(std::string_view text);

// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
size_t EditDistance(std::string_view a, std::string_view b);
// The candidate close enough to `input` to be a likely typo of it, if any.
std::optional<std::string> ClosestMatch(std::string_view input,
                                        const std::vector<std::string>& candidates);
// "a, b, c".
std::string JoinNames(const std::vector<std::string>& names);
// The tail of a message about a name that is not one of `known`: `; did you mean "x"?` when one
// is close, else `; <list_intro> a, b, c`, else "" when `known` is empty.
std::string Suggest(std::string_view input, const std::vector<std::string>& known,
                    std::string_view list_intro);

template <class E>
struct EnumName {
  const char* name;
  E value;
};

class JsonReader {
 public:
  // `raw` and `unresolved` (paths whose substitution failed; errors there are dropped) come
  // from the ${ENV} substitution pass, if any.
  explicit JsonReader(std::vector<ConfigError>& errors, const RawStrings* raw = nullptr,
                      const std::set<std::string>* unresolved = nullptr)
      : errors_(errors), raw_(raw), unresolved_(unresolved) {}

  void Error(std::string path, std::string message);
  // Problems found so far, including dropped ones: compare before and after a read to know
  // whether it failed.
  size_t error_count() const { return problems_; }

  // The string at `path` quoted for a message: the text before ${ENV} substitution if any.
  std::string Shown(const std::string& path, const std::string& value) const;

  // Each returns nullopt (after reporting why) when the value is not what the rule expects.
  bool ExpectObject(const nlohmann::json& v, const std::string& path);
  bool ExpectArray(const nlohmann::json& v, const std::string& path);
  std::optional<std::string> String(const nlohmann::json& v, const std::string& path);
  std::optional<std::string> NonEmptyString(const nlohmann::json& v, const std::string& path);
  std::optional<bool> Bool(const nlohmann::json& v, const std::string& path);
  std::optional<int64_t> Integer(const nlohmann::json& v, const std::string& path, int64_t min,
                                 int64_t max);
  // A duration string of at least `min` ("must be greater than 0" when min is 1ms).
  std::optional<Duration> DurationValue(const nlohmann::json& v, const std::string& path,
                                        Duration min);
  // A size string ("16MiB") or a byte count (integer), at least `min`.
  std::optional<uint64_t> Size(const nlohmann::json& v, const std::string& path, uint64_t min);
  // One name of a small closed set: `unknown <what> "x"; expected one of a, b, c`.
  template <class E>
  std::optional<E> Enum(const nlohmann::json& v, const std::string& path, const char* what,
                        std::initializer_list<EnumName<E>> names) {
    auto text = String(v, path);
    if (!text) return std::nullopt;
    std::vector<std::string> all;
    for (const auto& n : names) {
      if (*text == n.name) return n.value;
      all.emplace_back(n.name);
    }
    Error(path, std::string("unknown ") + what + " " + Shown(path, *text) + "; expected one of " +
                    JoinNames(all));
    return std::nullopt;
  }
  // A string or an array of strings (at least one); each must be non-empty, none repeated.
  std::optional<std::vector<std::string>> StringList(const nlohmann::json& v,
                                                     const std::string& path);

  // `key` is not one of `allowed` in the object at `object_path`.
  void UnknownKey(const std::string& object_path, const std::string& key,
                  const std::vector<std::string>& allowed);
  void MissingKey(const std::string& object_path, const std::string& key);

 private:
  std::vector<ConfigError>& errors_;
  const RawStrings* raw_;
  const std::set<std::string>* unresolved_;
  size_t problems_ = 0;
};

}  // namespace tributary::config
