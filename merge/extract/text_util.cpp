#include "merge/extract/text_util.hpp"

#include <locale.h>
#include <wctype.h>

#include <cstdint>

namespace tributary::merge::extract {

size_t WhitespaceLength(std::string_view text, size_t pos) {
  const auto c = static_cast<unsigned char>(text[pos]);
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') return 1;
  if (c < 0xC2) return 0;
  auto byte = [&](size_t i) {
    return pos + i < text.size() ? static_cast<unsigned char>(text[pos + i]) : 0;
  };
  if (c == 0xC2 && (byte(1) == 0xA0 || byte(1) == 0x85)) return 2;  // NBSP, NEL
  if (c == 0xE1 && byte(1) == 0x9A && byte(2) == 0x80) return 3;    // U+1680
  if (c == 0xE2 && byte(1) == 0x80) {
    const unsigned char b = byte(2);
    // U+2000..U+200A spaces, U+2028/2029 separators, U+202F narrow NBSP.
    if ((b >= 0x80 && b <= 0x8A) || b == 0xA8 || b == 0xA9 || b == 0xAF) return 3;
  }
  if (c == 0xE2 && byte(1) == 0x81 && byte(2) == 0x9F) return 3;  // U+205F
  if (c == 0xE3 && byte(1) == 0x80 && byte(2) == 0x80) return 3;  // U+3000
  return 0;
}

std::string CollapseWhitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (size_t i = 0; i < text.size();) {
    if (const size_t n = WhitespaceLength(text, i); n > 0) {
      pending_space = !out.empty();
      i += n;
      continue;
    }
    if (pending_space) {
      out += ' ';
      pending_space = false;
    }
    out += text[i++];
  }
  return out;
}

}  // namespace tributary::merge::extract

namespace tributary::merge::extract {
namespace {

// The C.UTF-8 locale for towlower_l / towupper_l (never freed: one per process).
locale_t Utf8Locale() {
  static const locale_t locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  return locale;
}

// Maps each code point of valid UTF-8 text; invalid bytes pass through unchanged.
template <class Map>
std::string MapCodePoints(std::string_view text, Map map) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > text.size()) {
      out += text[i++];
      continue;
    }
    uint32_t cp = n == 1 ? c : c & (0xFF >> (n + 1));
    bool valid = true;
    for (size_t k = 1; k < n; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      valid = valid && (b & 0xC0) == 0x80;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (!valid) {
      out += text[i++];
      continue;
    }
    const auto mapped = static_cast<uint32_t>(map(static_cast<wint_t>(cp)));
    if (mapped < 0x80) {
      out += static_cast<char>(mapped);
    } else if (mapped < 0x800) {
      out += static_cast<char>(0xC0 | (mapped >> 6));
      out += static_cast<char>(0x80 | (mapped & 0x3F));
    } else if (mapped < 0x10000) {
      out += static_cast<char>(0xE0 | (mapped >> 12));
      out += static_cast<char>(0x80 | ((mapped >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (mapped & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (mapped >> 18));
      out += static_cast<char>(0x80 | ((mapped >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((mapped >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (mapped & 0x3F));
    }
    i += n;
  }
  return out;
}

}  // namespace

std::string TrimWhitespace(std::string_view text) {
  size_t start = 0;
  while (start < text.size()) {
    const size_t n = WhitespaceLength(text, start);
    if (n == 0) break;
    start += n;
  }
  size_t end = text.size();
  // Scan forward for the last non-whitespace character (UTF-8 spaces are multi-byte).
  size_t last_end = start;
  for (size_t i = start; i < end;) {
    const size_t n = WhitespaceLength(text, i);
    if (n > 0) {
      i += n;
    } else {
      ++i;
      last_end = i;
    }
  }
  return std::string(text.substr(start, last_end - start));
}

std::string ToLower(std::string_view text) {
  const locale_t locale = Utf8Locale();
  return MapCodePoints(text, [locale](wint_t c) {
    return locale != static_cast<locale_t>(0) ? towlower_l(c, locale) : c;
  });
}

std::string ToUpper(std::string_view text) {
  const locale_t locale = Utf8Locale();
  return MapCodePoints(text, [locale](wint_t c) {
    return locale != static_cast<locale_t>(0) ? towupper_l(c, locale) : c;
  });
}

}  // namespace tributary::merge::extract
