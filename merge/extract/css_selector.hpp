#pragma once
// A compiled CSS Level 3 selector group ("a.x > b, c::attr(href)") and its matcher over libxml2
// trees, plus the parsel/Scrapy pseudo-elements ::text and ::attr(name).
//
// Matching is scoped as in parsel (cssselect's "descendant-or-self::"): Select(scope) considers
// scope itself and its descendants, and every element a combinator reaches must also lie in that
// subtree. Element and attribute names compare ASCII case-insensitively; class, id and attribute
// values case-sensitively unless the attribute selector carries the `i` flag.
// Thread safety: immutable after Parse; matching is const and reentrant.

#include <libxml/tree.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace tributary::merge::extract {

// an+b of :nth-child() and friends; index is 1-based.
struct NthExpression {
  int a = 0;
  int b = 1;
  bool Matches(int index) const;
};

struct AttributeCondition {
  enum class Op { kExists, kEquals, kIncludes, kDashMatch, kPrefix, kSuffix, kSubstring };
  std::string name;  // lower-cased
  Op op = Op::kExists;
  std::string value;
  bool ignore_case = false;  // [a=v i]
};

struct CompoundSelector;

struct PseudoClass {
  enum class Kind {
    kFirstChild,
    kLastChild,
    kOnlyChild,
    kFirstOfType,
    kLastOfType,
    kOnlyOfType,
    kNthChild,
    kNthLastChild,
    kNthOfType,
    kNthLastOfType,
    kEmpty,
    kRoot,
    kNot,
  };
  Kind kind = Kind::kFirstChild;
  NthExpression nth;
  std::vector<CompoundSelector> negated;  // kNot: matches when none of these does
};

// Type or universal selector followed by ids, classes, attributes and pseudo-classes.
struct CompoundSelector {
  std::string tag;  // lower-cased; empty for "*" (or when omitted)
  std::vector<std::string> ids;
  std::vector<std::string> classes;
  std::vector<AttributeCondition> attributes;
  std::vector<PseudoClass> pseudo_classes;
};

enum class Combinator { kDescendant, kChild, kAdjacent, kSibling };

enum class PseudoElement { kNone, kText, kAttr };

// compounds[0] combinators[0] compounds[1] ... [::pseudo-element]
struct ComplexSelector {
  std::vector<CompoundSelector> compounds;
  std::vector<Combinator> combinators;  // size() == compounds.size() - 1
  PseudoElement pseudo_element = PseudoElement::kNone;
  std::string attribute;  // kAttr: the attribute name, lower-cased
};

class CssSelector {
 public:
  // Errors read `unexpected "]" at position 5 in "a[b]]"` (positions are 1-based bytes).
  static Result<CssSelector> Parse(std::string_view text);

  const std::vector<ComplexSelector>& alternatives() const { return alternatives_; }
  bool HasPseudoElement() const;

  // Calls visit(element, alternative) for each element of scope's subtree (scope included, in
  // document order) and each alternative it matches; stops when visit returns false.
  void ForEachMatch(xmlNode* scope,
                    const std::function<bool(xmlNode*, const ComplexSelector&)>& visit) const;
  // The matching elements in document order, at most `limit`.
  std::vector<xmlNode*> Select(xmlNode* scope, size_t limit = SIZE_MAX) const;
  bool Matches(xmlNode* element, xmlNode* scope) const;

 private:
  explicit CssSelector(std::vector<ComplexSelector> alternatives)
      : alternatives_(std::move(alternatives)) {}

  std::vector<ComplexSelector> alternatives_;
};

}  // namespace tributary::merge::extract
