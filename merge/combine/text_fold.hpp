#pragma once
// Unicode text folding for key matching and value comparison, on utf8proc (Debian's
// libutf8proc: NFKC, case folding and mark stripping in one small C library, no data files).
// Invalid UTF-8 never fails: such text is folded byte-wise (ASCII only) instead.
// Thread safety: pure functions.

#include <string>
#include <string_view>

namespace tributary::merge::combine {

struct FoldOptions {
  bool nfkc = false;      // compatibility composition ("ﬁ" -> "fi", "１２" -> "12")
  bool casefold = false;  // full Unicode case folding ("Straße" -> "strasse")
  bool unaccent = false;  // decompose and drop combining marks ("Côte" -> "Cote")
};

std::string Fold(std::string_view text, FoldOptions options);

// Strips ASCII and Unicode whitespace at both ends.
std::string_view TrimSpace(std::string_view text);
// Trims and turns every run of whitespace into one ASCII space.
std::string CollapseSpace(std::string_view text);

// NFKC + casefold + unaccent + collapsed whitespace: the "normalized" compare mode.
std::string NormalizeForCompare(std::string_view text);

}  // namespace tributary::merge::combine
