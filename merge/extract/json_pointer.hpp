#pragma once
// RFC 6901 JSON Pointer: "" is the whole document, "/a/b/0" walks members and array indices,
// "~1" stands for "/" and "~0" for "~". Array indices are decimal without leading zeros; "-"
// (the element after the last) never resolves.
// Thread safety: immutable after Parse; Resolve is const and reentrant.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace tributary::merge::extract {

class JsonPointer {
 public:
  // Errors: `a JSON Pointer must be empty or start with "/": "title"`,
  // `invalid escape "~2" at position 3 in "/a~2"` (positions are 1-based).
  static Result<JsonPointer> Parse(std::string_view text);

  // The value at the pointer, or nullptr when it does not exist.
  const nlohmann::json* Resolve(const nlohmann::json& document) const;

  const std::vector<std::string>& tokens() const { return tokens_; }
  const std::string& text() const { return text_; }

 private:
  JsonPointer() = default;

  std::string text_;
  std::vector<std::string> tokens_;  // unescaped reference tokens
};

}  // namespace tributary::merge::extract
