#pragma once
// Whitespace handling for extracted text. "Whitespace" is ASCII whitespace plus the Unicode
// spaces pages use between words and digit groups (NBSP, thin and narrow spaces, ideographic
// space ...). Input is UTF-8; invalid sequences pass through untouched. Pure functions.

#include <cstddef>
#include <string>
#include <string_view>

namespace tributary::merge::extract {

// The length in bytes of the whitespace character at text[pos], or 0 when it is not one.
size_t WhitespaceLength(std::string_view text, size_t pos);

// Trims both ends and turns every run of whitespace into one ASCII space.
std::string CollapseWhitespace(std::string_view text);

// Trims both ends only (inner whitespace kept).
std::string TrimWhitespace(std::string_view text);

// Unicode case mapping (per code point, C.UTF-8 tables); invalid UTF-8 passes through.
std::string ToLower(std::string_view text);
std::string ToUpper(std::string_view text);

}  // namespace tributary::merge::extract
