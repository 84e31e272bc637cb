#pragma once
// Recursive-descent parser for CSS Level 3 selector groups (see css_selector.hpp for what is
// supported). One parser per text; not reusable. Errors name the 1-based byte position:
// `unexpected "]" at position 5 in "a[b]]"`.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "merge/extract/css_selector.hpp"

namespace tributary::merge::extract {

class CssParser {
 public:
  explicit CssParser(std::string_view text) : text_(text) {}

  Result<std::vector<ComplexSelector>> ParseGroup();

 private:
  // Each Parse* returns false after setting error_.
  bool ParseComplex(ComplexSelector& out);
  // Returns false on error; `any` tells whether anything was consumed.
  bool ParseCompound(CompoundSelector& out, bool& any);
  bool ParseAttribute(CompoundSelector& out);
  bool ParsePseudoClass(CompoundSelector& out);
  bool ParseNth(NthExpression& out, std::string_view pseudo);
  bool ParseNegation(PseudoClass& out);
  bool ParsePseudoElement(ComplexSelector& out);
  bool ParseIdentifier(std::string& out);
  bool ParseString(std::string& out);
  bool ParseEscape(std::string& out);

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  bool StartsIdentifier() const;
  bool SkipWhitespace();

  bool Fail(std::string what, size_t pos);
  bool Unexpected();

  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace tributary::merge::extract
