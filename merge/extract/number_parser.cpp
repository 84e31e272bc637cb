#include "merge/extract/number_parser.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "merge/extract/text_util.hpp"

namespace tributary::merge::extract {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

constexpr std::array<std::string_view, 17> kCurrencySymbols = {"$",
                                                               "\xC2\xA3",
                                                               "\xE2\x82\xAC",
                                                               "\xC2\xA5",
                                                               "\xC2\xA2",
                                                               "\xE2\x82\xB9",
                                                               "\xE2\x82\xBD",
                                                               "\xE2\x82\xA9",
                                                               "\xE2\x82\xBA",
                                                               "\xE2\x82\xAA",
                                                               "\xE2\x82\xAB",
                                                               "\xE0\xB8\xBF",
                                                               "\xE2\x82\xB4",
                                                               "\xE2\x82\xA6",
                                                               "\xE2\x82\xB1",
                                                               "\xE2\x82\xA1",
                                                               "\xE2\x82\xB2"};
constexpr std::string_view kMinusSign = "\xE2\x88\x92";   // U+2212
constexpr std::string_view kRightQuote = "\xE2\x80\x99";  // U+2019, Swiss thousands

size_t CurrencyLength(std::string_view text, size_t pos) {
  for (std::string_view symbol : kCurrencySymbols) {
    if (text.substr(pos).starts_with(symbol)) return symbol.size();
  }
  return 0;
}

// A digit-group separator at pos (only meaningful when a digit follows it): its length, and
// its kind: '.', ',' or ' ' (spaces and apostrophes, always thousands).
size_t SeparatorAt(std::string_view text, size_t pos, char& kind) {
  const char c = text[pos];
  if (c == '.' || c == ',') {
    kind = c;
    return 1;
  }
  if (c == '\'') {
    kind = ' ';
    return 1;
  }
  if (text.substr(pos).starts_with(kRightQuote)) {
    kind = ' ';
    return kRightQuote.size();
  }
  if (const size_t n = WhitespaceLength(text, pos); n > 0) {
    kind = ' ';
    return n;
  }
  return 0;
}

struct Token {
  bool negative = false;
  bool leading_point = false;  // ".5"
  std::vector<std::string> groups;
  std::vector<char> separators;  // between groups
};

// Finds the number tokens in text. `strict`: only whitespace, signs, currency symbols and "%"
// may surround them. Returns false when strict and something else appears.
bool Tokenize(std::string_view text, bool strict, std::vector<Token>& tokens) {
  size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i])) {
      size_t n = WhitespaceLength(text, i);
      if (n == 0) n = CurrencyLength(text, i);
      if (n == 0 && text.substr(i).starts_with(kMinusSign)) n = kMinusSign.size();
      if (n == 0) {
        const char c = text[i];
        if (strict && c != '+' && c != '-' && c != '%' && c != '.') return false;
        n = 1;
      }
      i += n;
      continue;
    }
    Token token;
    // The sign may sit before a currency symbol: "-£5", "£-5".
    size_t back = i;
    if (back > 0 && text[back - 1] == '.' && (back < 2 || !IsDigit(text[back - 2]))) {
      token.leading_point = true;
      --back;
    }
    for (;;) {
      size_t currency = 0;
      for (std::string_view symbol : kCurrencySymbols) {
        if (back >= symbol.size() && text.substr(back - symbol.size()).starts_with(symbol)) {
          currency = symbol.size();
          break;
        }
      }
      if (currency == 0) break;
      back -= currency;
    }
    if (back > 0 && text[back - 1] == '-') token.negative = true;
    if (back >= kMinusSign.size() &&
        text.substr(back - kMinusSign.size()).starts_with(kMinusSign)) {
      token.negative = true;
    }
    token.groups.emplace_back();
    while (i < text.size()) {
      if (IsDigit(text[i])) {
        token.groups.back() += text[i++];
        continue;
      }
      char kind = 0;
      const size_t n = SeparatorAt(text, i, kind);
      if (n == 0 || i + n >= text.size() || !IsDigit(text[i + n])) break;
      token.separators.push_back(kind);
      token.groups.emplace_back();
      i += n;
    }
    tokens.push_back(std::move(token));
  }
  return true;
}

// Turns a token into "-1234.56" (C locale); nullopt when the grouping is inconsistent.
std::optional<std::string> Normalize(const Token& token) {
  const auto& groups = token.groups;
  const auto& seps = token.separators;
  std::string out = token.negative ? "-" : "";
  if (token.leading_point) {
    if (!seps.empty()) return std::nullopt;
    return out + "0." + groups[0];
  }
  // Which separator, if any, is the decimal one.
  int decimal = -1;
  if (!seps.empty() && seps.back() != ' ') {
    const char last = seps.back();
    const char other = last == '.' ? ',' : '.';
    size_t same = 0;
    bool has_other = false;
    bool has_space = false;
    for (char s : seps) {
      same += s == last ? 1 : 0;
      has_other = has_other || s == other;
      has_space = has_space || s == ' ';
    }
    if (has_other || has_space) {
      if (same > 1) return std::nullopt;  // "1.234.5,6" or "1 2.3.4"
      decimal = static_cast<int>(seps.size()) - 1;
    } else if (same == 1) {
      const bool thousands =
          last == ',' && groups.back().size() == 3 && groups[0] != "0" && groups[0].size() <= 3;
      if (!thousands) decimal = 0;
    }
  }
  const size_t integer_groups = decimal >= 0 ? static_cast<size_t>(decimal) + 1 : groups.size();
  if (integer_groups > 1) {
    if (groups[0].empty() || groups[0].size() > 3) return std::nullopt;
    const char thousands = seps[0];
    for (size_t g = 1; g < integer_groups; ++g) {
      if (groups[g].size() != 3 || seps[g - 1] != thousands) return std::nullopt;
    }
  }
  for (size_t g = 0; g < integer_groups; ++g) out += groups[g];
  if (decimal >= 0) out += "." + groups.back();
  return out;
}

// A plain C-locale number ("12", "-1.5e3"), as JSON APIs and data attributes write them.
std::optional<std::string> PlainNumber(std::string_view text) {
  std::string_view t = text;
  if (!t.empty() && t[0] == '+') t.remove_prefix(1);
  if (t.empty() || !(IsDigit(t[0]) || (t[0] == '-' && t.size() > 1 && IsDigit(t[1])))) {
    return std::nullopt;
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return std::string(t);
}

std::optional<std::string> NormalizedNumber(std::string_view text, bool strict) {
  const std::string trimmed = CollapseWhitespace(text);
  if (auto plain = PlainNumber(trimmed)) return plain;
  std::vector<Token> tokens;
  if (!Tokenize(trimmed, strict, tokens) || tokens.size() != 1) return std::nullopt;
  return Normalize(tokens[0]);
}

nlohmann::json ToJson(const std::string& normalized, double value) {
  if (normalized.find_first_of(".eE") == std::string::npos) {
    int64_t integer = 0;
    const auto [end, ec] =
        std::from_chars(normalized.data(), normalized.data() + normalized.size(), integer);
    if (ec == std::errc() && end == normalized.data() + normalized.size()) return integer;
  }
  if (std::trunc(value) == value && std::fabs(value) < 9.0e15) {
    return static_cast<int64_t>(value);
  }
  return value;
}

}  // namespace

std::optional<nlohmann::json> ParseNumber(std::string_view text) {
  const auto normalized = NormalizedNumber(text, false);
  if (!normalized) return std::nullopt;
  double value = 0;
  const auto [end, ec] =
      std::from_chars(normalized->data(), normalized->data() + normalized->size(), value);
  if (ec != std::errc() || !std::isfinite(value)) return std::nullopt;
  return ToJson(*normalized, value);
}

std::optional<int64_t> ParseInteger(std::string_view text) {
  const auto normalized = NormalizedNumber(text, true);
  if (!normalized) return std::nullopt;
  const char* begin = normalized->data();
  const char* end = begin + normalized->size();
  if (normalized->find_first_of(".eE") == std::string::npos) {
    int64_t integer = 0;
    const auto [stop, ec] = std::from_chars(begin, end, integer);
    if (ec != std::errc() || stop != end) return std::nullopt;
    return integer;
  }
  double value = 0;
  const auto [stop, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || stop != end || std::trunc(value) != value ||
      std::fabs(value) >= 9.2e18) {
    return std::nullopt;
  }
  return static_cast<int64_t>(value);
}

}  // namespace tributary::merge::extract
