#include "merge/extract/css_parser.hpp"

#include <array>
#include <utility>

namespace tributary::merge::extract {
namespace {

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsNonAscii(char c) { return static_cast<unsigned char>(c) >= 0x80; }
bool IsNameStart(char c) { return IsAsciiAlpha(c) || c == '_' || IsNonAscii(c); }
bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c) || c == '-'; }
bool IsCssSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

std::string AsciiLower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The whole UTF-8 sequence starting at text[pos], for error messages.
std::string_view CharAt(std::string_view text, size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  size_t n = 1;
  if (lead >= 0xF0) {
    n = 4;
  } else if (lead >= 0xE0) {
    n = 3;
  } else if (lead >= 0xC0) {
    n = 2;
  }
  return text.substr(pos, n);
}

struct PseudoClassName {
  std::string_view name;
  PseudoClass::Kind kind;
  bool functional;
};

constexpr std::array kPseudoClasses = {
    PseudoClassName{"first-child", PseudoClass::Kind::kFirstChild, false},
    PseudoClassName{"last-child", PseudoClass::Kind::kLastChild, false},
    PseudoClassName{"only-child", PseudoClass::Kind::kOnlyChild, false},
    PseudoClassName{"first-of-type", PseudoClass::Kind::kFirstOfType, false},
    PseudoClassName{"last-of-type", PseudoClass::Kind::kLastOfType, false},
    PseudoClassName{"only-of-type", PseudoClass::Kind::kOnlyOfType, false},
    PseudoClassName{"empty", PseudoClass::Kind::kEmpty, false},
    PseudoClassName{"root", PseudoClass::Kind::kRoot, false},
    PseudoClassName{"nth-child", PseudoClass::Kind::kNthChild, true},
    PseudoClassName{"nth-last-child", PseudoClass::Kind::kNthLastChild, true},
    PseudoClassName{"nth-of-type", PseudoClass::Kind::kNthOfType, true},
    PseudoClassName{"nth-last-of-type", PseudoClass::Kind::kNthLastOfType, true},
    PseudoClassName{"not", PseudoClass::Kind::kNot, true},
};

// Parses "odd", "even", "b", "an", "an+b" (spaces allowed around the sign of b), lower-cased.
bool ParseAnPlusB(std::string_view s, NthExpression& out) {
  if (s == "odd") {
    out = {2, 1};
    return true;
  }
  if (s == "even") {
    out = {2, 0};
    return true;
  }
  auto parse_int = [](std::string_view digits, int& value) {
    if (digits.empty() || digits.size() > 9) return false;
    value = 0;
    for (char c : digits) {
      if (!IsDigit(c)) return false;
      value = value * 10 + (c - '0');
    }
    return true;
  };
  auto signed_int = [&](std::string_view t, int& value) {
    int sign = 1;
    if (!t.empty() && (t[0] == '+' || t[0] == '-')) {
      sign = t[0] == '-' ? -1 : 1;
      t.remove_prefix(1);
    }
    if (!parse_int(t, value)) return false;
    value *= sign;
    return true;
  };
  const size_t n = s.find('n');
  if (n == std::string_view::npos) {
    out.a = 0;
    return signed_int(s, out.b);
  }
  const std::string_view a = s.substr(0, n);
  if (a.empty() || a == "+") {
    out.a = 1;
  } else if (a == "-") {
    out.a = -1;
  } else if (!signed_int(a, out.a)) {
    return false;
  }
  std::string_view rest = s.substr(n + 1);
  while (!rest.empty() && IsCssSpace(rest.front())) rest.remove_prefix(1);
  if (rest.empty()) {
    out.b = 0;
    return true;
  }
  const int sign = rest[0] == '-' ? -1 : 1;
  if (rest[0] != '+' && rest[0] != '-') return false;
  rest.remove_prefix(1);
  while (!rest.empty() && IsCssSpace(rest.front())) rest.remove_prefix(1);
  if (!parse_int(rest, out.b)) return false;
  out.b *= sign;
  return true;
}

}  // namespace

Result<std::vector<ComplexSelector>> CssParser::ParseGroup() {
  std::vector<ComplexSelector> group;
  SkipWhitespace();
  if (AtEnd()) return Error::SourceBroken("empty selector");
  for (;;) {
    ComplexSelector complex;
    if (!ParseComplex(complex)) return Error::SourceBroken(error_);
    group.push_back(std::move(complex));
    if (AtEnd()) break;
    if (Peek() != ',') {
      Unexpected();
      return Error::SourceBroken(error_);
    }
    ++pos_;
    SkipWhitespace();
  }
  return group;
}

bool CssParser::ParseComplex(ComplexSelector& out) {
  for (;;) {
    CompoundSelector compound;
    bool any = false;
    if (!ParseCompound(compound, any)) return false;
    bool has_pseudo_element = false;
    if (Peek() == ':' && Peek(1) == ':') {
      if (!ParsePseudoElement(out)) return false;
      has_pseudo_element = true;
      any = true;
    }
    if (!any) return Unexpected();
    out.compounds.push_back(std::move(compound));
    const bool space = SkipWhitespace();
    if (AtEnd() || Peek() == ',') return true;
    if (has_pseudo_element) {
      Unexpected();
      error_ += " (a pseudo-element must end its selector)";
      return false;
    }
    Combinator combinator = Combinator::kDescendant;
    switch (Peek()) {
      case '>':
        combinator = Combinator::kChild;
        break;
      case '+':
        combinator = Combinator::kAdjacent;
        break;
      case '~':
        combinator = Combinator::kSibling;
        break;
      default:
        if (!space) return Unexpected();
        break;
    }
    if (combinator != Combinator::kDescendant) {
      ++pos_;
      SkipWhitespace();
    }
    out.combinators.push_back(combinator);
  }
}

bool CssParser::ParseCompound(CompoundSelector& out, bool& any) {
  if (Peek() == '*') {
    ++pos_;
    any = true;
  } else if (StartsIdentifier()) {
    if (!ParseIdentifier(out.tag)) return false;
    out.tag = AsciiLower(std::move(out.tag));
    any = true;
  }
  if (Peek() == '|') return Fail("namespace prefixes are not supported", pos_);
  for (;;) {
    const char c = Peek();
    if (c == '#') {
      ++pos_;
      std::string id;
      // An id is a "name": unlike identifiers it may start with a digit.
      if (!IsNameChar(Peek()) && Peek() != '\\') return Unexpected();
      while (!AtEnd() && (IsNameChar(Peek()) || Peek() == '\\')) {
        if (Peek() == '\\') {
          if (!ParseEscape(id)) return false;
        } else {
          id += text_[pos_++];
        }
      }
      out.ids.push_back(std::move(id));
    } else if (c == '.') {
      ++pos_;
      std::string name;
      if (!ParseIdentifier(name)) return false;
      out.classes.push_back(std::move(name));
    } else if (c == '[') {
      if (!ParseAttribute(out)) return false;
    } else if (c == ':' && Peek(1) != ':') {
      if (!ParsePseudoClass(out)) return false;
    } else {
      return true;
    }
    any = true;
  }
}

bool CssParser::ParseAttribute(CompoundSelector& out) {
  ++pos_;  // '['
  SkipWhitespace();
  AttributeCondition cond;
  if (!ParseIdentifier(cond.name)) return false;
  cond.name = AsciiLower(std::move(cond.name));
  if (Peek() == '|' && Peek(1) != '=') return Fail("namespace prefixes are not supported", pos_);
  SkipWhitespace();
  if (Peek() == ']') {
    ++pos_;
    out.attributes.push_back(std::move(cond));
    return true;
  }
  using Op = AttributeCondition::Op;
  if (Peek() == '=') {
    cond.op = Op::kEquals;
    ++pos_;
  } else if (Peek(1) == '=') {
    switch (Peek()) {
      case '~':
        cond.op = Op::kIncludes;
        break;
      case '|':
        cond.op = Op::kDashMatch;
        break;
      case '^':
        cond.op = Op::kPrefix;
        break;
      case '$':
        cond.op = Op::kSuffix;
        break;
      case '*':
        cond.op = Op::kSubstring;
        break;
      default:
        return Unexpected();
    }
    pos_ += 2;
  } else {
    return Unexpected();
  }
  SkipWhitespace();
  if (Peek() == '"' || Peek() == '\'') {
    if (!ParseString(cond.value)) return false;
  } else {
    // Unquoted: an identifier in CSS, but scrapers write [colspan=2] and [href^=http://x] too.
    const size_t start = pos_;
    while (!AtEnd() && !IsCssSpace(Peek()) && Peek() != ']' && Peek() != '"' && Peek() != '\'') {
      if (Peek() == '\\') {
        if (!ParseEscape(cond.value)) return false;
      } else {
        cond.value += text_[pos_++];
      }
    }
    if (pos_ == start) return Unexpected();
  }
  SkipWhitespace();
  if (IsAsciiAlpha(Peek()) && (IsCssSpace(Peek(1)) || Peek(1) == ']')) {
    const char flag = static_cast<char>(Peek() | 0x20);
    if (flag != 'i' && flag != 's') return Unexpected();
    cond.ignore_case = flag == 'i';
    ++pos_;
    SkipWhitespace();
  }
  if (Peek() != ']') return Unexpected();
  ++pos_;
  out.attributes.push_back(std::move(cond));
  return true;
}

bool CssParser::ParsePseudoClass(CompoundSelector& out) {
  const size_t start = pos_;
  ++pos_;  // ':'
  std::string name;
  if (!ParseIdentifier(name)) return false;
  name = AsciiLower(std::move(name));
  for (const auto& known : kPseudoClasses) {
    if (known.name != name) continue;
    PseudoClass pseudo;
    pseudo.kind = known.kind;
    if (!known.functional) {
      if (Peek() == '(') return Unexpected();
      out.pseudo_classes.push_back(std::move(pseudo));
      return true;
    }
    if (Peek() != '(') return Fail("expected \"(\" after \":" + name + "\"", pos_);
    ++pos_;
    const bool ok =
        pseudo.kind == PseudoClass::Kind::kNot ? ParseNegation(pseudo) : ParseNth(pseudo.nth, name);
    if (!ok) return false;
    out.pseudo_classes.push_back(std::move(pseudo));
    return true;
  }
  return Fail("unknown pseudo-class \":" + name + "\"", start);
}

bool CssParser::ParseNth(NthExpression& out, std::string_view pseudo) {
  const size_t close = text_.find(')', pos_);
  if (close == std::string_view::npos) {
    pos_ = text_.size();
    return Unexpected();
  }
  std::string_view arg = text_.substr(pos_, close - pos_);
  size_t arg_start = pos_;
  while (!arg.empty() && IsCssSpace(arg.front())) {
    arg.remove_prefix(1);
    ++arg_start;
  }
  while (!arg.empty() && IsCssSpace(arg.back())) arg.remove_suffix(1);
  if (!ParseAnPlusB(AsciiLower(std::string(arg)), out)) {
    return Fail("invalid :" + std::string(pseudo) + "() argument \"" + std::string(arg) +
                    "\" (expected an+b, odd or even)",
                arg_start);
  }
  pos_ = close + 1;
  return true;
}

bool CssParser::ParseNegation(PseudoClass& out) {
  SkipWhitespace();
  for (;;) {
    CompoundSelector compound;
    bool any = false;
    if (!ParseCompound(compound, any)) return false;
    if (!any) return Unexpected();
    out.negated.push_back(std::move(compound));
    SkipWhitespace();
    if (Peek() == ',') {
      ++pos_;
      SkipWhitespace();
      continue;
    }
    if (Peek() != ')') return Unexpected();
    ++pos_;
    return true;
  }
}

bool CssParser::ParsePseudoElement(ComplexSelector& out) {
  const size_t start = pos_;
  pos_ += 2;  // "::"
  std::string name;
  if (!ParseIdentifier(name)) return false;
  name = AsciiLower(std::move(name));
  if (name == "text") {
    out.pseudo_element = PseudoElement::kText;
    return true;
  }
  if (name != "attr") return Fail("unknown pseudo-element \"::" + name + "\"", start);
  if (Peek() != '(') return Fail("expected \"(\" after \"::attr\"", pos_);
  ++pos_;
  SkipWhitespace();
  // Attribute names may carry a prefix (xlink:href) or dots; accept what HTML allows.
  while (!AtEnd() && (IsNameChar(Peek()) || Peek() == ':' || Peek() == '.')) {
    out.attribute += text_[pos_++];
  }
  if (out.attribute.empty()) return Unexpected();
  out.attribute = AsciiLower(std::move(out.attribute));
  SkipWhitespace();
  if (Peek() != ')') return Unexpected();
  ++pos_;
  out.pseudo_element = PseudoElement::kAttr;
  return true;
}

bool CssParser::ParseIdentifier(std::string& out) {
  if (!StartsIdentifier()) return Unexpected();
  while (!AtEnd()) {
    const char c = Peek();
    if (IsNameChar(c)) {
      out += c;
      ++pos_;
    } else if (c == '\\' && Peek(1) != '\n' && Peek(1) != '\0') {
      if (!ParseEscape(out)) return false;
    } else {
      break;
    }
  }
  return true;
}

bool CssParser::ParseString(std::string& out) {
  const size_t start = pos_;
  const char quote = text_[pos_++];
  for (;;) {
    if (AtEnd()) return Fail("unterminated string", start);
    const char c = Peek();
    if (c == quote) {
      ++pos_;
      return true;
    }
    if (c == '\n') return Fail("unterminated string", start);
    if (c == '\\') {
      if (Peek(1) == '\n') {
        pos_ += 2;
        continue;
      }
      if (Peek(1) == '\0' && pos_ + 1 >= text_.size()) return Fail("unterminated string", start);
      if (!ParseEscape(out)) return false;
      continue;
    }
    out += c;
    ++pos_;
  }
}

bool CssParser::ParseEscape(std::string& out) {
  ++pos_;  // '\'
  if (AtEnd()) return Unexpected();
  if (!IsHexDigit(Peek())) {
    out += text_[pos_++];
    return true;
  }
  uint32_t cp = 0;
  for (int i = 0; i < 6 && IsHexDigit(Peek()); ++i) {
    const char c = text_[pos_++];
    cp = cp * 16 + static_cast<uint32_t>(IsDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  if (Peek() == '\r' && Peek(1) == '\n') {
    pos_ += 2;
  } else if (IsCssSpace(Peek())) {
    ++pos_;
  }
  AppendUtf8(cp, out);
  return true;
}

bool CssParser::StartsIdentifier() const {
  const char c = Peek();
  if (IsNameStart(c)) return true;
  if (c == '\\') return Peek(1) != '\n' && pos_ + 1 < text_.size();
  if (c == '-') {
    const char d = Peek(1);
    return IsNameStart(d) || d == '-' || (d == '\\' && pos_ + 2 < text_.size());
  }
  return false;
}

bool CssParser::SkipWhitespace() {
  const size_t start = pos_;
  while (!AtEnd() && IsCssSpace(Peek())) ++pos_;
  return pos_ != start;
}

bool CssParser::Fail(std::string what, size_t pos) {
  error_ = std::move(what) + " at position " + std::to_string(pos + 1) + " in \"" +
           std::string(text_) + "\"";
  return false;
}

bool CssParser::Unexpected() {
  if (AtEnd()) return Fail("unexpected end", text_.size());
  return Fail("unexpected \"" + std::string(CharAt(text_, pos_)) + "\"", pos_);
}

}  // namespace tributary::merge::extract
