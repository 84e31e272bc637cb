#pragma once
// RFC 9535 JSONPath: "$.store.book[?@.price < 10].title", with every selector (name, wildcard,
// index, slice, filter), descendant segments, and the standard functions length(), count(),
// match(), search() (I-Regexp, RFC 9485, run by RE2) and value(). Invalid queries (syntax or
// the function type rules) are rejected when parsing, with the position of the problem.
// Object members are visited in key order (nlohmann::json keeps objects sorted); RFC 9535
// leaves that order open.
// Thread safety: immutable after Parse; Select is const and reentrant.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace tributary::merge::extract {

namespace jsonpath {
struct Query;
}

class JsonPath {
 public:
  // Errors: `JSONPath: expected "]" at position 9 in "$.a[1, 2"` (positions are 1-based).
  static Result<JsonPath> Parse(std::string_view text);

  // The nodes the query selects in `document` (which is `$`), in the RFC's order.
  std::vector<const nlohmann::json*> Select(const nlohmann::json& document) const;

  const std::string& text() const { return text_; }
  // True when the query selects at most one node (section 2.3.5.1).
  bool IsSingular() const;

 private:
  JsonPath() = default;

  std::string text_;
  std::shared_ptr<const jsonpath::Query> query_;
};

}  // namespace tributary::merge::extract
