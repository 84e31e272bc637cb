// Unicode folding used by key normalisers and the compare modes.
#include "merge/combine/text_fold.hpp"

#include <gtest/gtest.h>

namespace tributary::merge::combine {
namespace {

TEST(TextFold, CaseFoldIsFullUnicode) {
  EXPECT_EQ(Fold("Straße", {false, true, false}), "strasse");
  EXPECT_EQ(Fold("ÅNGSTRÖM", {false, true, false}), "ångström");
  EXPECT_EQ(Fold("ΣΊΣΥΦΟΣ", {false, true, false}), Fold("σίσυφος", {false, true, false}));
}

TEST(TextFold, NfkcFoldsCompatibilityForms) {
  EXPECT_EQ(Fold("ﬁle", {true, false, false}), "file");
  EXPECT_EQ(Fold("１２３", {true, false, false}), "123");
  // Decomposed e + combining acute composes to the precomposed form.
  EXPECT_EQ(Fold("Cafe\u0301", {true, false, false}), "Caf\u00e9");
}

TEST(TextFold, UnaccentDropsMarks) {
  EXPECT_EQ(Fold("Côte d'Ivoire", {false, false, true}), "Cote d'Ivoire");
  EXPECT_EQ(Fold("São Tomé and Príncipe", {false, false, true}), "Sao Tome and Principe");
  EXPECT_EQ(Fold("Türkiye", {false, true, true}), "turkiye");
}

TEST(TextFold, InvalidUtf8FallsBackToAsciiFolding) {
  const std::string bad = std::string("AB\xff") + "C";
  EXPECT_EQ(Fold(bad, {true, true, true}), std::string("ab\xff") + "c");
}

TEST(TextFold, SpacesIncludeUnicodeWhitespace) {
  EXPECT_EQ(TrimSpace(" \t\u00a0Willemstad\u3000 "), "Willemstad");
  EXPECT_EQ(CollapseSpace("  New \u00a0\u2003 York \n"), "New York");
  EXPECT_EQ(NormalizeForCompare("  CÔTE   d'Ivoire"), "cote d'ivoire");
  EXPECT_EQ(TrimSpace(""), "");
  EXPECT_EQ(TrimSpace("\u00a0"), "");
}

}  // namespace
}  // namespace tributary::merge::combine
