#pragma once
// A selector over JSON values, as sources write them: a JSONPath query when it starts with "$"
// (json_path.hpp), a JSON Pointer when it is empty or starts with "/" (json_pointer.hpp), and
// for row-like records (CSV rows, feed items, regex matches) optionally a bare member name
// ("title" means the member "title").
// Thread safety: immutable after Compile; Select is const and reentrant.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "merge/extract/json_path.hpp"
#include "merge/extract/json_pointer.hpp"

namespace tributary::merge::extract {

class JsonSelector {
 public:
  // bare_names: text that is neither a JSONPath nor a JSON Pointer names a member.
  static Result<JsonSelector> Compile(std::string_view text, bool bare_names);

  // The selected values in document order (a pointer or a name selects at most one).
  std::vector<const nlohmann::json*> Select(const nlohmann::json& document) const;

  // The values a field gets: every selected node, except that a lone array selected by a
  // pointer, a name or a singular JSONPath stands for its elements (for `multiple` and for
  // record lists).
  std::vector<const nlohmann::json*> SelectFlattened(const nlohmann::json& document) const;

  const std::string& text() const { return text_; }

 private:
  JsonSelector() = default;

  std::string text_;
  std::optional<JsonPath> path_;
  std::optional<JsonPointer> pointer_;
  std::string name_;  // bare member name when neither of the above
};

}  // namespace tributary::merge::extract
