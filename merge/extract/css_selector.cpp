#include "merge/extract/css_selector.hpp"

#include "merge/extract/css_parser.hpp"
#include "merge/extract/dom.hpp"

namespace tributary::merge::extract {
namespace {

// Servo's right-to-left matching results: they let a failed match stop the walk over further
// ancestors or siblings when no other candidate can succeed, which keeps deep documents linear.
enum class MatchResult {
  kMatched,
  kRestartFromLaterSibling,
  kRestartFromDescendant,
  kNotMatchedGlobally,
};

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool Equal(std::string_view a, std::string_view b, bool ignore_case) {
  if (a.size() != b.size()) return false;
  if (!ignore_case) return a == b;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

bool ContainsWord(std::string_view list, std::string_view word, bool ignore_case) {
  if (word.empty()) return false;
  size_t i = 0;
  while (i < list.size()) {
    while (i < list.size() && IsAsciiSpace(list[i])) ++i;
    const size_t start = i;
    while (i < list.size() && !IsAsciiSpace(list[i])) ++i;
    if (i > start && Equal(list.substr(start, i - start), word, ignore_case)) return true;
  }
  return false;
}

bool MatchAttribute(const xmlNode* element, const AttributeCondition& cond) {
  const xmlAttr* attribute = dom::FindAttribute(element, cond.name);
  if (attribute == nullptr) return false;
  using Op = AttributeCondition::Op;
  if (cond.op == Op::kExists) return true;
  const std::string value = dom::AttributeValue(attribute);
  const std::string_view v = value;
  const std::string_view want = cond.value;
  const bool ic = cond.ignore_case;
  switch (cond.op) {
    case Op::kExists:
      return true;
    case Op::kEquals:
      return Equal(v, want, ic);
    case Op::kIncludes:
      for (char c : want) {
        if (IsAsciiSpace(c)) return false;
      }
      return ContainsWord(v, want, ic);
    case Op::kDashMatch:
      return Equal(v, want, ic) || (v.size() > want.size() && v[want.size()] == '-' &&
                                    Equal(v.substr(0, want.size()), want, ic));
    case Op::kPrefix:
      return !want.empty() && v.size() >= want.size() && Equal(v.substr(0, want.size()), want, ic);
    case Op::kSuffix:
      return !want.empty() && v.size() >= want.size() &&
             Equal(v.substr(v.size() - want.size()), want, ic);
    case Op::kSubstring:
      if (want.empty() || v.size() < want.size()) return false;
      for (size_t i = 0; i + want.size() <= v.size(); ++i) {
        if (Equal(v.substr(i, want.size()), want, ic)) return true;
      }
      return false;
  }
  return false;
}

bool SameType(const xmlNode* a, const xmlNode* b) {
  return a->name != nullptr && dom::NameEquals(a->name, reinterpret_cast<const char*>(b->name));
}

// 1-based position among element siblings (of the same type when of_type), from either end.
int Position(const xmlNode* element, bool of_type, bool from_end) {
  int index = 1;
  const xmlNode* n =
      from_end ? dom::NextElementSibling(element) : dom::PreviousElementSibling(element);
  while (n != nullptr) {
    if (!of_type || SameType(n, element)) ++index;
    n = from_end ? dom::NextElementSibling(n) : dom::PreviousElementSibling(n);
  }
  return index;
}

bool MatchCompound(const xmlNode* element, const CompoundSelector& compound);

bool MatchPseudoClass(const xmlNode* element, const PseudoClass& pseudo) {
  using Kind = PseudoClass::Kind;
  switch (pseudo.kind) {
    case Kind::kFirstChild:
      return dom::PreviousElementSibling(element) == nullptr;
    case Kind::kLastChild:
      return dom::NextElementSibling(element) == nullptr;
    case Kind::kOnlyChild:
      return dom::PreviousElementSibling(element) == nullptr &&
             dom::NextElementSibling(element) == nullptr;
    case Kind::kFirstOfType:
      return Position(element, true, false) == 1;
    case Kind::kLastOfType:
      return Position(element, true, true) == 1;
    case Kind::kOnlyOfType:
      return Position(element, true, false) == 1 && Position(element, true, true) == 1;
    case Kind::kNthChild:
      return pseudo.nth.Matches(Position(element, false, false));
    case Kind::kNthLastChild:
      return pseudo.nth.Matches(Position(element, false, true));
    case Kind::kNthOfType:
      return pseudo.nth.Matches(Position(element, true, false));
    case Kind::kNthLastOfType:
      return pseudo.nth.Matches(Position(element, true, true));
    case Kind::kEmpty:
      for (const xmlNode* n = element->children; n != nullptr; n = n->next) {
        if (dom::IsElement(n)) return false;
        if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) &&
            n->content != nullptr && n->content[0] != '\0') {
          return false;
        }
      }
      return true;
    case Kind::kRoot:
      return element->parent != nullptr && (element->parent->type == XML_DOCUMENT_NODE ||
                                            element->parent->type == XML_HTML_DOCUMENT_NODE);
    case Kind::kNot:
      for (const auto& negated : pseudo.negated) {
        if (MatchCompound(element, negated)) return false;
      }
      return true;
  }
  return false;
}

bool MatchCompound(const xmlNode* element, const CompoundSelector& compound) {
  if (!compound.tag.empty() && !dom::NameEquals(element->name, compound.tag)) return false;
  if (!compound.ids.empty()) {
    const auto id = dom::Attribute(element, "id");
    if (!id) return false;
    for (const auto& want : compound.ids) {
      if (*id != want) return false;
    }
  }
  if (!compound.classes.empty()) {
    const auto classes = dom::Attribute(element, "class");
    if (!classes) return false;
    for (const auto& want : compound.classes) {
      if (!ContainsWord(*classes, want, false)) return false;
    }
  }
  for (const auto& cond : compound.attributes) {
    if (!MatchAttribute(element, cond)) return false;
  }
  for (const auto& pseudo : compound.pseudo_classes) {
    if (!MatchPseudoClass(element, pseudo)) return false;
  }
  return true;
}

// Matches compounds[0..index] right to left, element standing for compounds[index]. Elements
// reached through combinators stay inside scope's subtree.
MatchResult MatchFrom(const ComplexSelector& selector, size_t index, xmlNode* element,
                      const xmlNode* scope) {
  if (!MatchCompound(element, selector.compounds[index])) {
    return MatchResult::kRestartFromLaterSibling;
  }
  if (index == 0) return MatchResult::kMatched;
  const Combinator combinator = selector.combinators[index - 1];
  const bool sibling = combinator == Combinator::kAdjacent || combinator == Combinator::kSibling;
  const MatchResult not_found =
      sibling ? MatchResult::kRestartFromDescendant : MatchResult::kNotMatchedGlobally;
  auto next = [&](const xmlNode* n) -> xmlNode* {
    if (n == scope) return nullptr;
    return sibling ? dom::PreviousElementSibling(n) : dom::ParentElement(n);
  };
  for (xmlNode* candidate = next(element); candidate != nullptr; candidate = next(candidate)) {
    const MatchResult result = MatchFrom(selector, index - 1, candidate, scope);
    if (result == MatchResult::kMatched || result == MatchResult::kNotMatchedGlobally ||
        combinator == Combinator::kAdjacent) {
      return result;
    }
    if (combinator == Combinator::kChild) return MatchResult::kRestartFromDescendant;
    if (result == MatchResult::kRestartFromDescendant && combinator == Combinator::kSibling) {
      return result;
    }
  }
  return not_found;
}

bool MatchComplex(const ComplexSelector& selector, xmlNode* element, const xmlNode* scope) {
  return MatchFrom(selector, selector.compounds.size() - 1, element, scope) ==
         MatchResult::kMatched;
}

}  // namespace

bool NthExpression::Matches(int index) const {
  if (a == 0) return index == b;
  const int diff = index - b;
  return diff % a == 0 && diff / a >= 0;
}

Result<CssSelector> CssSelector::Parse(std::string_view text) {
  CssParser parser(text);
  auto group = parser.ParseGroup();
  if (!group) return group.error();
  return CssSelector(std::move(*group));
}

bool CssSelector::HasPseudoElement() const {
  for (const auto& alternative : alternatives_) {
    if (alternative.pseudo_element != PseudoElement::kNone) return true;
  }
  return false;
}

void CssSelector::ForEachMatch(
    xmlNode* scope, const std::function<bool(xmlNode*, const ComplexSelector&)>& visit) const {
  for (xmlNode* node = scope; node != nullptr; node = dom::NextInSubtree(node, scope)) {
    if (!dom::IsElement(node)) continue;
    for (const auto& alternative : alternatives_) {
      if (MatchComplex(alternative, node, scope) && !visit(node, alternative)) return;
    }
  }
}

std::vector<xmlNode*> CssSelector::Select(xmlNode* scope, size_t limit) const {
  std::vector<xmlNode*> out;
  if (limit == 0) return out;
  ForEachMatch(scope, [&](xmlNode* node, const ComplexSelector&) {
    if (out.empty() || out.back() != node) out.push_back(node);
    return out.size() < limit;
  });
  return out;
}

bool CssSelector::Matches(xmlNode* element, xmlNode* scope) const {
  if (!dom::IsElement(element)) return false;
  for (const auto& alternative : alternatives_) {
    if (MatchComplex(alternative, element, scope)) return true;
  }
  return false;
}

}  // namespace tributary::merge::extract
