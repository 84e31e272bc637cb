#include "merge/combine/text_fold.hpp"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

namespace tributary::merge::combine {
namespace {

bool IsAsciiSpace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// The length of a whitespace character (ASCII, NBSP U+00A0, U+2000-U+200A, U+3000 ...) at the
// start of `s`, or 0.
size_t SpaceAt(std::string_view s) {
  if (s.empty()) return 0;
  const auto c = static_cast<unsigned char>(s[0]);
  if (IsAsciiSpace(c)) return 1;
  if (c < 0x80) return 0;
  utf8proc_int32_t cp = 0;
  const auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                  static_cast<utf8proc_ssize_t>(s.size()), &cp);
  if (n <= 0) return 0;
  const auto category = utf8proc_category(cp);
  if (category == UTF8PROC_CATEGORY_ZS || category == UTF8PROC_CATEGORY_ZL ||
      category == UTF8PROC_CATEGORY_ZP || cp == 0x85) {
    return static_cast<size_t>(n);
  }
  return 0;
}

// The length of a whitespace character ending at `s.size()`, or 0.
size_t SpaceBefore(std::string_view s) {
  if (s.empty()) return 0;
  size_t start = s.size() - 1;
  while (start > 0 && s.size() - start < 4 &&
         (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) {
    --start;
  }
  const size_t n = SpaceAt(s.substr(start));
  return n == s.size() - start ? n : 0;
}

}  // namespace

std::string Fold(std::string_view text, FoldOptions options) {
  if (!options.nfkc && !options.casefold && !options.unaccent) return std::string(text);
  // The result is always composed (NFC, or NFKC with `nfkc`): marks are stripped after the
  // decomposition utf8proc does internally, and equal text must fold to equal bytes.
  int flags = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
  if (options.nfkc) flags |= UTF8PROC_COMPAT;
  if (options.casefold) flags |= UTF8PROC_CASEFOLD;
  if (options.unaccent) flags |= UTF8PROC_STRIPMARK;
  utf8proc_uint8_t* out = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                              static_cast<utf8proc_ssize_t>(text.size()), &out,
                              static_cast<utf8proc_option_t>(flags));
  if (n < 0) {
    // Invalid UTF-8: fold what can be folded safely (ASCII letters) and keep other bytes.
    std::string fallback(text);
    if (options.casefold) {
      for (char& c : fallback) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
    }
    return fallback;
  }
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
  return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
}

std::string_view TrimSpace(std::string_view text) {
  for (size_t n = SpaceAt(text); n > 0; n = SpaceAt(text)) text.remove_prefix(n);
  for (size_t n = SpaceBefore(text); n > 0; n = SpaceBefore(text)) text.remove_suffix(n);
  return text;
}

std::string CollapseSpace(std::string_view text) {
  text = TrimSpace(text);
  std::string out;
  out.reserve(text.size());
  bool in_space = false;
  while (!text.empty()) {
    if (const size_t n = SpaceAt(text); n > 0) {
      in_space = true;
      text.remove_prefix(n);
      continue;
    }
    if (in_space) out.push_back(' ');
    in_space = false;
    out.push_back(text.front());
    text.remove_prefix(1);
  }
  return out;
}

std::string NormalizeForCompare(std::string_view text) {
  return CollapseSpace(Fold(text, FoldOptions{true, true, true}));
}

}  // namespace tributary::merge::combine
