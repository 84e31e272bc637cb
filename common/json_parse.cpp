#include "common/json_parse.hpp"

#include <locale.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "common/utf8.hpp"

namespace tributary {
namespace {

using nlohmann::json;

// Bytes a string may hold as they are: printable ASCII but '"' and '\\'.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();

class Parser {
 public:
  explicit Parser(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {
    begin_ = p_;
  }

  bool Parse(json& out) {
    if (end_ - p_ >= 3 && static_cast<unsigned char>(p_[0]) == 0xEF &&
        static_cast<unsigned char>(p_[1]) == 0xBB && static_cast<unsigned char>(p_[2]) == 0xBF) {
      p_ += 3;
    }
    // `open` holds the containers being filled, innermost last. A container is only ever the
    // last element (or a map node) of its parent, and the parent is not touched until it
    // closes, so the pointers stay valid.
    std::vector<json*> open;
    json* target = &out;
    for (;;) {
      if (!Value(target, open)) return false;
      // After a value: close containers, or move on to the next element.
      for (;;) {
        if (open.empty()) {
          SkipSpace();
          // A NUL byte ends the text, as it does for nlohmann (whose lexer reads it as the end).
          return p_ == end_ || *p_ == '\0' || Fail("text after the JSON value");
        }
        json& top = *open.back();
        SkipSpace();
        if (p_ == end_) return Fail("unexpected end of text");
        const char c = *p_++;
        if (top.is_array()) {
          if (c == ']') {
            open.pop_back();
            continue;
          }
          if (c != ',') return Fail("expected ',' or ']' in an array");
          target = &top.get_ref<json::array_t&>().emplace_back();
          break;
        }
        if (c == '}') {
          open.pop_back();
          continue;
        }
        if (c != ',') return Fail("expected ',' or '}' in an object");
        target = Member(top);
        if (target == nullptr) return false;
        break;
      }
    }
  }

  // The same grammar as Parse, read without building a tree: strings and numbers go through
  // the same readers into scratch values, so the same texts are taken and refused.
  bool Validate() {
    if (end_ - p_ >= 3 && static_cast<unsigned char>(p_[0]) == 0xEF &&
        static_cast<unsigned char>(p_[1]) == 0xBB && static_cast<unsigned char>(p_[2]) == 0xBF) {
      p_ += 3;
    }
    std::vector<char> open;  // '{' or '[' of the containers being read, innermost last
    std::string text;
    json scalar;
    for (;;) {
      SkipSpace();
      if (p_ == end_) return Fail("unexpected end of text");
      bool complete = true;  // false: a container was opened and is not empty
      switch (*p_) {
        case '{':
        case '[': {
          const char kind = *p_++;
          SkipSpace();
          if (p_ != end_ && *p_ == (kind == '{' ? '}' : ']')) {
            ++p_;
            break;
          }
          open.push_back(kind);
          if (kind == '{' && !MemberName(text)) return false;
          complete = false;
          break;
        }
        case '"':
          ++p_;
          text.clear();
          if (!String(text)) return false;
          break;
        case 't':
          if (!Literal("true", json(true), scalar)) return false;
          break;
        case 'f':
          if (!Literal("false", json(false), scalar)) return false;
          break;
        case 'n':
          if (!Literal("null", json(nullptr), scalar)) return false;
          break;
        default:
          if (!Number(scalar)) return false;
      }
      if (!complete) continue;  // its first element or member's value
      // After a value: close containers, or move on to the next element.
      for (;;) {
        SkipSpace();
        if (open.empty()) return p_ == end_ || *p_ == '\0' || Fail("text after the JSON value");
        if (p_ == end_) return Fail("unexpected end of text");
        const char c = *p_++;
        if (open.back() == '[') {
          if (c == ']') {
            open.pop_back();
            continue;
          }
          if (c != ',') return Fail("expected ',' or ']' in an array");
          break;
        }
        if (c == '}') {
          open.pop_back();
          continue;
        }
        if (c != ',') return Fail("expected ',' or '}' in an object");
        if (!MemberName(text)) return false;
        break;
      }
    }
  }

  std::string Error() const { return "byte " + std::to_string(error_at_ - begin_) + ": " + error_; }

 private:
  bool Fail(const char* why) {
    if (error_.empty()) {
      error_ = why;
      error_at_ = p_;
    }
    return false;
  }

  void SkipSpace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  // Parses one value into `target`. An opened, non-empty container is pushed on `open` with
  // its first element (or member) as the next target, which the caller's loop then fills:
  // Value returns with `target` pointing there.
  bool Value(json*& target, std::vector<json*>& open) {
    for (;;) {
      SkipSpace();
      if (p_ == end_) return Fail("unexpected end of text");
      switch (*p_) {
        case '{': {
          ++p_;
          *target = json::object();
          SkipSpace();
          if (p_ != end_ && *p_ == '}') {
            ++p_;
            return true;
          }
          open.push_back(target);
          target = Member(*target);
          if (target == nullptr) return false;
          continue;  // the first member's value
        }
        case '[': {
          ++p_;
          *target = json::array();
          SkipSpace();
          if (p_ != end_ && *p_ == ']') {
            ++p_;
            return true;
          }
          open.push_back(target);
          target = &target->get_ref<json::array_t&>().emplace_back();
          continue;  // the first element
        }
        case '"': {
          ++p_;
          *target = json::string_t();
          return String(target->get_ref<json::string_t&>());
        }
        case 't':
          return Literal("true", json(true), *target);
        case 'f':
          return Literal("false", json(false), *target);
        case 'n':
          return Literal("null", json(nullptr), *target);
        default:
          return Number(*target);
      }
    }
  }

  // Reads `"name":` and returns the member's value slot (reset when the name repeats: the
  // last value wins, as in nlohmann), or nullptr on failure.
  json* Member(json& object) {
    std::string name;
    if (!MemberName(name)) return nullptr;
    auto [it, inserted] = object.get_ref<json::object_t&>().try_emplace(std::move(name));
    if (!inserted) it->second = json();
    return &it->second;
  }

  // Reads `"name":` into `name` (replacing what it held).
  bool MemberName(std::string& name) {
    SkipSpace();
    if (p_ == end_ || *p_ != '"') return Fail("expected a member name");
    ++p_;
    name.clear();
    if (!String(name)) return false;
    SkipSpace();
    if (p_ == end_ || *p_ != ':') return Fail("expected ':' after a member name");
    ++p_;
    return true;
  }

  bool Literal(std::string_view word, json value, json& target) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      return Fail("invalid literal");
    }
    p_ += word.size();
    target = std::move(value);
    return true;
  }

  // After the opening quote; appends the decoded text to `out` and consumes the closing quote.
  bool String(std::string& out) {
    for (;;) {
      const char* run = p_;
      while (p_ != end_ && kPlain[static_cast<unsigned char>(*p_)]) ++p_;
      out.append(run, p_);
      if (p_ == end_) return Fail("unterminated string");
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c == '\\') {
        if (!Escape(out)) return false;
      } else if (c < 0x20) {
        return Fail("control character in a string");
      } else if (!Utf8(out)) {
        return false;
      }
    }
  }

  // One UTF-8 sequence (RFC 3629, table 3-7 of Unicode: no overlong forms, no surrogates).
  bool Utf8(std::string& out) {
    const size_t length = Utf8SequenceLength(std::string_view(p_, end_ - p_), 0);
    if (length == 0) return Fail("invalid UTF-8 in a string");
    out.append(p_, length);
    p_ += length;
    return true;
  }

  bool Escape(std::string& out) {
    ++p_;  // the backslash
    if (p_ == end_) return Fail("unterminated string");
    const char c = *p_++;
    static constexpr std::string_view kEscapes = "\"\\/bfnrt";
    static constexpr std::string_view kMeanings = "\"\\/\b\f\n\r\t";
    if (const size_t at = kEscapes.find(c); at != std::string_view::npos) {
      out.push_back(kMeanings[at]);
      return true;
    }
    if (c != 'u') return Fail("invalid escape in a string");
    uint32_t code = 0;
    if (!Hex4(code)) return false;
    if (code >= 0xDC00 && code <= 0xDFFF) return Fail("a low surrogate without a high one");
    if (code >= 0xD800 && code <= 0xDBFF) {
      uint32_t second = 0;
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') {
        return Fail("a high surrogate without a low one");
      }
      p_ += 2;
      if (!Hex4(second)) return false;
      if (second < 0xDC00 || second > 0xDFFF) return Fail("a high surrogate without a low one");
      code = 0x10000 + ((code - 0xD800) << 10) + (second - 0xDC00);
    }
    if (code < 0x80) {
      out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (code >> 6)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (code >> 12)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (code >> 18)));
      out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
    return true;
  }

  bool Hex4(uint32_t& code) {
    if (end_ - p_ < 4) return Fail("a \\u escape needs four hex digits");
    for (int i = 0; i < 4; ++i) {
      const char h = *p_++;
      code <<= 4;
      if (h >= '0' && h <= '9') {
        code |= static_cast<uint32_t>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        code |= static_cast<uint32_t>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        code |= static_cast<uint32_t>(h - 'A' + 10);
      } else {
        --p_;
        return Fail("a \\u escape needs four hex digits");
      }
    }
    return true;
  }

  static bool Digit(const char* p, const char* end) { return p != end && *p >= '0' && *p <= '9'; }

  // RFC 8259's number grammar; typed as nlohmann types it.
  bool Number(json& target) {
    const char* start = p_;
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    if (!Digit(p_, end_)) return Fail("invalid value");
    if (*p_ == '0') {
      ++p_;
    } else {
      while (Digit(p_, end_)) ++p_;
    }
    bool integer = true;
    if (p_ != end_ && *p_ == '.') {
      integer = false;
      ++p_;
      if (!Digit(p_, end_)) return Fail("invalid number: a digit must follow '.'");
      while (Digit(p_, end_)) ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integer = false;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!Digit(p_, end_)) return Fail("invalid number: a digit must follow the exponent");
      while (Digit(p_, end_)) ++p_;
    }
    if (integer) {
      if (negative) {
        int64_t value = 0;
        if (std::from_chars(start, p_, value).ec == std::errc()) {
          target = static_cast<json::number_integer_t>(value);
          return true;
        }
      } else {
        uint64_t value = 0;
        if (std::from_chars(start, p_, value).ec == std::errc()) {
          target = static_cast<json::number_unsigned_t>(value);
          return true;
        }
      }
    }
    double value = 0;
    const auto [end, ec] = std::from_chars(start, p_, value);
    if (ec == std::errc::result_out_of_range) {
      // Overflow is an error, as in nlohmann; underflow is the value strtod rounds to. In the
      // "C" locale whatever the process's is: the token's decimal point is '.'.
      static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", locale_t{});
      const std::string token(start, p_);
      value = strtod_l(token.c_str(), nullptr, c_locale);
    } else if (ec != std::errc() || end != p_) {
      return Fail("invalid number");
    }
    if (!std::isfinite(value)) {
      p_ = start;
      return Fail("number overflow");
    }
    target = static_cast<json::number_float_t>(value);
    return true;
  }

  const char* p_;
  const char* end_;
  const char* begin_;
  std::string error_;
  const char* error_at_ = nullptr;
};

}  // namespace

bool ParseJson(std::string_view text, nlohmann::json& out, std::string* error) {
  Parser parser(text);
  if (parser.Parse(out)) return true;
  if (error != nullptr) *error = parser.Error();
  return false;
}

bool ValidateJson(std::string_view text, std::string* error) {
  Parser parser(text);
  if (parser.Validate()) return true;
  if (error != nullptr) *error = parser.Error();
  return false;
}

nlohmann::json ParseJsonOrDiscarded(std::string_view text) {
  nlohmann::json out;
  if (!ParseJson(text, out)) out = nlohmann::json(nlohmann::json::value_t::discarded);
  return out;
}

nlohmann::json ParseJsonOr(std::string_view text, nlohmann::json fallback) {
  nlohmann::json out;
  return ParseJson(text, out) ? out : fallback;
}

}  // namespace tributary
