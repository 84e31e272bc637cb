#include "merge/extract/json_path_parser.hpp"

#include <optional>
#include <string>

namespace tributary::merge::extract::jsonpath {
namespace {

constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsLowerAlpha(char c) { return c >= 'a' && c <= 'z'; }
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsNameFirst(char c) { return IsAlpha(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80; }
bool IsNameChar(char c) { return IsNameFirst(c) || IsDigit(c); }
int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string& out, uint32_t cp) {
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

// Valid UTF-8 (the query text comes from a JSON configuration, so it normally is).
bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

bool IsLogicalCapable(const Expr& e) {
  const Type t = e.type();
  return t == Type::kLogical || t == Type::kNodes;
}

bool IsComparable(const Expr& e) {
  if (e.kind == Expr::Kind::kLiteral) return true;
  if (e.kind == Expr::Kind::kQuery) return e.query.IsSingular();
  return e.kind == Expr::Kind::kFunction && e.result == Type::kValue;
}

struct Signature {
  Function function;
  std::vector<Type> params;
  Type result;
};

std::optional<Signature> FindFunction(std::string_view name) {
  if (name == "length") return Signature{Function::kLength, {Type::kValue}, Type::kValue};
  if (name == "count") return Signature{Function::kCount, {Type::kNodes}, Type::kValue};
  if (name == "match") {
    return Signature{Function::kMatch, {Type::kValue, Type::kValue}, Type::kLogical};
  }
  if (name == "search") {
    return Signature{Function::kSearch, {Type::kValue, Type::kValue}, Type::kLogical};
  }
  if (name == "value") return Signature{Function::kValue, {Type::kNodes}, Type::kValue};
  return std::nullopt;
}

bool ArgumentFits(const Expr& arg, Type param) {
  switch (param) {
    case Type::kValue:
      return IsComparable(arg);
    case Type::kNodes:
      return arg.kind == Expr::Kind::kQuery ||
             (arg.kind == Expr::Kind::kFunction && arg.result == Type::kNodes);
    case Type::kLogical:
      return IsLogicalCapable(arg);
  }
  return false;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<Query> Run() {
    if (!IsValidUtf8(text_)) return Fail("the query is not valid UTF-8");
    if (!Eat('$')) return Fail("a JSONPath query starts with \"$\"");
    Query query;
    query.absolute = true;
    if (!ParseSegments(query)) return Failure();
    if (pos_ != text_.size()) return Fail("unexpected \"" + std::string(1, Peek()) + "\"");
    return query;
  }

 private:
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  bool Eat(char c) {
    if (AtEnd() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool EatText(std::string_view s) {
    if (text_.substr(pos_).starts_with(s)) {
      pos_ += s.size();
      return true;
    }
    return false;
  }
  void SkipBlank() {
    while (!AtEnd() && IsBlank(text_[pos_])) ++pos_;
  }
  bool Problem(std::string message) {
    if (message_.empty()) {
      message_ = std::move(message);
      error_pos_ = pos_;
    }
    return false;
  }
  tributary::Error Failure() const {
    return tributary::Error::SourceBroken("JSONPath: " + message_ + " at position " +
                                          std::to_string(error_pos_ + 1) + " in \"" +
                                          std::string(text_) + "\"");
  }
  tributary::Error Fail(std::string message) {
    Problem(std::move(message));
    return Failure();
  }

  // *(S segment): stops (without consuming blanks) where no segment follows.
  bool ParseSegments(Query& query) {
    for (;;) {
      const size_t before = pos_;
      SkipBlank();
      if (Peek() != '[' && Peek() != '.') {
        pos_ = before;
        return true;
      }
      Segment segment;
      if (!ParseSegment(segment)) return false;
      query.segments.push_back(std::move(segment));
    }
  }

  bool ParseSegment(Segment& segment) {
    if (EatText("..")) {
      segment.descendant = true;
      if (Peek() == '[') return ParseBracketed(segment);
      return ParseShorthand(segment);
    }
    if (Eat('.')) return ParseShorthand(segment);
    return ParseBracketed(segment);
  }

  // "*" or a member name after "." / "..".
  bool ParseShorthand(Segment& segment) {
    Selector selector;
    if (Eat('*')) {
      selector.kind = Selector::Kind::kWildcard;
    } else if (IsNameFirst(Peek())) {
      const size_t start = pos_;
      while (!AtEnd() && IsNameChar(text_[pos_])) ++pos_;
      selector.name = std::string(text_.substr(start, pos_ - start));
    } else {
      return Problem("expected a member name or \"*\"");
    }
    segment.selectors.push_back(std::move(selector));
    return true;
  }

  bool ParseBracketed(Segment& segment) {
    if (!Eat('[')) return Problem("expected \"[\"");
    for (;;) {
      SkipBlank();
      Selector selector;
      if (!ParseSelector(selector)) return false;
      segment.selectors.push_back(std::move(selector));
      SkipBlank();
      if (Eat(']')) return true;
      if (!Eat(',')) return Problem("expected \",\" or \"]\"");
    }
  }

  bool ParseSelector(Selector& selector) {
    const char c = Peek();
    if (c == '\'' || c == '"') {
      selector.kind = Selector::Kind::kName;
      return ParseString(selector.name);
    }
    if (Eat('*')) {
      selector.kind = Selector::Kind::kWildcard;
      return true;
    }
    if (Eat('?')) {
      selector.kind = Selector::Kind::kFilter;
      SkipBlank();
      auto expr = ParseOr();
      if (!expr) return false;
      if (!IsLogicalCapable(*expr)) return Problem("a filter needs a test or a comparison");
      selector.filter = std::move(expr);
      return true;
    }
    std::optional<int64_t> first;
    if (c == '-' || IsDigit(c)) {
      int64_t value = 0;
      if (!ParseInt(value)) return false;
      first = value;
      SkipBlank();
    }
    if (!Eat(':')) {
      if (!first) return Problem("expected a selector");
      selector.kind = Selector::Kind::kIndex;
      selector.index = *first;
      return true;
    }
    selector.kind = Selector::Kind::kSlice;
    selector.start = first;
    SkipBlank();
    if (Peek() == '-' || IsDigit(Peek())) {
      int64_t value = 0;
      if (!ParseInt(value)) return false;
      selector.end = value;
      SkipBlank();
    }
    if (Eat(':')) {
      SkipBlank();
      if (Peek() == '-' || IsDigit(Peek())) {
        int64_t value = 0;
        if (!ParseInt(value)) return false;
        selector.step = value;
      }
    }
    return true;
  }

  // int = "0" / (["-"] DIGIT1 *DIGIT), within the I-JSON range.
  bool ParseInt(int64_t& value) {
    const size_t start = pos_;
    const bool negative = Eat('-');
    if (!IsDigit(Peek())) return Problem("expected a digit");
    if (Peek() == '0') {
      ++pos_;
      if (negative) return Problem("\"-0\" is not a valid index");
      if (IsDigit(Peek())) return Problem("leading zeros are not allowed");
      value = 0;
      return true;
    }
    int64_t magnitude = 0;
    while (IsDigit(Peek())) {
      magnitude = magnitude * 10 + (text_[pos_++] - '0');
      if (magnitude > kMaxSafeInteger) {
        pos_ = start;
        return Problem("integer out of range (at most 2^53-1 in magnitude)");
      }
    }
    value = negative ? -magnitude : magnitude;
    return true;
  }

  bool ParseString(std::string& out) {
    const char quote = text_[pos_++];
    for (;;) {
      if (AtEnd()) return Problem("unterminated string");
      const char c = text_[pos_];
      if (c == quote) {
        ++pos_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return Problem("control character in a string");
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      ++pos_;
      const char e = Peek();
      ++pos_;
      switch (e) {
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case '/':
          out += '/';
          break;
        case '\\':
          out += '\\';
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!ParseHex4(cp)) return false;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return Problem("lone low surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low = 0;
            if (!EatText("\\u") || !ParseHex4(low) || low < 0xDC00 || low > 0xDFFF) {
              return Problem("a high surrogate must be followed by a low surrogate");
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          if (e == quote) {
            out += e;
            break;
          }
          --pos_;
          return Problem("invalid escape in a string");
      }
    }
  }

  bool ParseHex4(uint32_t& cp) {
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = HexValue(Peek());
      if (h < 0) return Problem("expected four hexadecimal digits");
      cp = cp * 16 + static_cast<uint32_t>(h);
      ++pos_;
    }
    return true;
  }

  using ExprPtr = std::shared_ptr<Expr>;

  ExprPtr Combine(Expr::Kind kind, std::vector<ExprPtr> operands) {
    if (operands.size() == 1) return operands[0];
    for (const auto& operand : operands) {
      if (!IsLogicalCapable(*operand)) {
        Problem(std::string("the operands of ") + (kind == Expr::Kind::kOr ? "||" : "&&") +
                " must be tests or comparisons");
        return nullptr;
      }
    }
    auto e = std::make_shared<Expr>();
    e->kind = kind;
    e->children.assign(operands.begin(), operands.end());
    return e;
  }

  ExprPtr ParseOr() {
    std::vector<ExprPtr> operands;
    for (;;) {
      auto operand = ParseAnd();
      if (!operand) return nullptr;
      operands.push_back(std::move(operand));
      const size_t before = pos_;
      SkipBlank();
      if (!EatText("||")) {
        pos_ = before;
        return Combine(Expr::Kind::kOr, std::move(operands));
      }
      SkipBlank();
    }
  }

  ExprPtr ParseAnd() {
    std::vector<ExprPtr> operands;
    for (;;) {
      auto operand = ParseBasic();
      if (!operand) return nullptr;
      operands.push_back(std::move(operand));
      const size_t before = pos_;
      SkipBlank();
      if (!EatText("&&")) {
        pos_ = before;
        return Combine(Expr::Kind::kAnd, std::move(operands));
      }
      SkipBlank();
    }
  }

  ExprPtr ParseParen() {
    SkipBlank();
    auto inner = ParseOr();
    if (!inner) return nullptr;
    SkipBlank();
    if (!Eat(')')) {
      Problem("expected \")\"");
      return nullptr;
    }
    if (!IsLogicalCapable(*inner)) {
      Problem("parentheses hold a test or a comparison");
      return nullptr;
    }
    return inner;
  }

  // basic-expr; may also return a bare literal or value function, which only a function
  // argument accepts (callers check).
  ExprPtr ParseBasic() {
    if (Eat('!')) {
      SkipBlank();
      ExprPtr operand;
      if (Eat('(')) {
        operand = ParseParen();
      } else {
        const size_t at = pos_;
        operand = ParsePrimary();
        if (operand && !IsLogicalCapable(*operand)) {
          pos_ = at;
          Problem("\"!\" applies to a test or a parenthesised expression");
          return nullptr;
        }
      }
      if (!operand) return nullptr;
      auto e = std::make_shared<Expr>();
      e->kind = Expr::Kind::kNot;
      e->children.push_back(std::move(operand));
      return e;
    }
    if (Eat('(')) return ParseParen();
    const size_t left_at = pos_;
    auto left = ParsePrimary();
    if (!left) return nullptr;
    const size_t before = pos_;
    SkipBlank();
    std::optional<CompareOp> op;
    if (EatText("==")) {
      op = CompareOp::kEq;
    } else if (EatText("!=")) {
      op = CompareOp::kNe;
    } else if (EatText("<=")) {
      op = CompareOp::kLe;
    } else if (EatText(">=")) {
      op = CompareOp::kGe;
    } else if (Eat('<')) {
      op = CompareOp::kLt;
    } else if (Eat('>')) {
      op = CompareOp::kGt;
    }
    if (!op) {
      pos_ = before;
      return left;
    }
    if (!IsComparable(*left)) {
      pos_ = left_at;
      Problem("only literals, singular queries and value functions can be compared");
      return nullptr;
    }
    SkipBlank();
    const size_t right_at = pos_;
    auto right = ParsePrimary();
    if (!right) return nullptr;
    if (!IsComparable(*right)) {
      pos_ = right_at;
      Problem("only literals, singular queries and value functions can be compared");
      return nullptr;
    }
    auto e = std::make_shared<Expr>();
    e->kind = Expr::Kind::kCompare;
    e->op = *op;
    e->children = {std::move(left), std::move(right)};
    return e;
  }

  // A literal, a query (@... or $...) or a function call.
  ExprPtr ParsePrimary() {
    auto e = std::make_shared<Expr>();
    const char c = Peek();
    if (c == '@' || c == '$') {
      ++pos_;
      e->kind = Expr::Kind::kQuery;
      e->query.absolute = c == '$';
      if (!ParseSegments(e->query)) return nullptr;
      return e;
    }
    if (c == '\'' || c == '"') {
      std::string s;
      if (!ParseString(s)) return nullptr;
      e->literal = std::move(s);
      return e;
    }
    if (c == '-' || IsDigit(c)) {
      if (!ParseNumber(e->literal)) return nullptr;
      return e;
    }
    if (IsLowerAlpha(c)) {
      const size_t start = pos_;
      while (IsLowerAlpha(Peek()) || IsDigit(Peek()) || Peek() == '_') ++pos_;
      const std::string_view name = text_.substr(start, pos_ - start);
      if (Peek() == '(') return ParseFunction(name, start);
      if (name == "true" || name == "false" || name == "null") {
        e->literal = name == "null" ? nlohmann::json(nullptr) : nlohmann::json(name == "true");
        return e;
      }
      pos_ = start;
    }
    Problem("expected a literal, a query or a function");
    return nullptr;
  }

  // (int / "-0") [ "." 1*DIGIT ] [ ("e" / "E") ["-" / "+"] 1*DIGIT ]
  bool ParseNumber(nlohmann::json& out) {
    const size_t start = pos_;
    Eat('-');
    if (!IsDigit(Peek())) return Problem("expected a number");
    if (Eat('0')) {
      if (IsDigit(Peek())) return Problem("leading zeros are not allowed");
    } else {
      while (IsDigit(Peek())) ++pos_;
    }
    if (Eat('.')) {
      if (!IsDigit(Peek())) return Problem("expected a digit after \".\"");
      while (IsDigit(Peek())) ++pos_;
    }
    if (Eat('e') || Eat('E')) {
      if (!Eat('+')) Eat('-');
      if (!IsDigit(Peek())) return Problem("expected an exponent");
      while (IsDigit(Peek())) ++pos_;
    }
    out = nlohmann::json::parse(text_.substr(start, pos_ - start), nullptr, false);
    if (out.is_discarded()) {
      pos_ = start;
      return Problem("invalid number");
    }
    return true;
  }

  ExprPtr ParseFunction(std::string_view name, size_t name_at) {
    auto signature = FindFunction(name);
    if (!signature) {
      pos_ = name_at;
      Problem("unknown function \"" + std::string(name) + "\"");
      return nullptr;
    }
    Eat('(');
    auto e = std::make_shared<Expr>();
    e->kind = Expr::Kind::kFunction;
    e->function = signature->function;
    e->result = signature->result;
    SkipBlank();
    if (!Eat(')')) {
      for (;;) {
        const size_t arg_at = pos_;
        auto arg = ParseOr();
        if (!arg) return nullptr;
        const size_t index = e->children.size();
        if (index >= signature->params.size()) {
          pos_ = arg_at;
          Problem(std::string(name) + "() takes " + std::to_string(signature->params.size()) +
                  " argument" + (signature->params.size() == 1 ? "" : "s"));
          return nullptr;
        }
        if (!ArgumentFits(*arg, signature->params[index])) {
          pos_ = arg_at;
          Problem("argument " + std::to_string(index + 1) + " of " + std::string(name) +
                  "() has the wrong type");
          return nullptr;
        }
        e->children.push_back(std::move(arg));
        SkipBlank();
        if (Eat(')')) break;
        if (!Eat(',')) {
          Problem("expected \",\" or \")\"");
          return nullptr;
        }
        SkipBlank();
      }
    }
    if (e->children.size() != signature->params.size()) {
      Problem(std::string(name) + "() takes " + std::to_string(signature->params.size()) +
              " argument" + (signature->params.size() == 1 ? "" : "s"));
      return nullptr;
    }
    return e;
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string message_;
  size_t error_pos_ = 0;
};

}  // namespace

Result<Query> ParseQuery(std::string_view text) { return Parser(text).Run(); }

}  // namespace tributary::merge::extract::jsonpath
