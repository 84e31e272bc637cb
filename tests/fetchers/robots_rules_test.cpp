// robots.txt per RFC 9309: group selection, longest match, allow on ties, wildcards.
#include "fetchers/robots_rules.hpp"

#include <gtest/gtest.h>

namespace tributary::fetchers {
namespace {

constexpr char kAgent[] = "tributary/0.1 (+https://example.org/bot)";

TEST(RobotsPattern, WildcardsAndAnchors) {
  EXPECT_TRUE(RobotsPatternMatches("/private", "/private/x"));
  EXPECT_FALSE(RobotsPatternMatches("/private", "/public"));
  EXPECT_TRUE(RobotsPatternMatches("/*.pdf$", "/docs/a.pdf"));
  EXPECT_FALSE(RobotsPatternMatches("/*.pdf$", "/docs/a.pdf?x=1"));
  EXPECT_TRUE(RobotsPatternMatches("/*.pdf", "/docs/a.pdf?x=1"));
  EXPECT_TRUE(RobotsPatternMatches("/a*b*c", "/axxbyyc"));
  EXPECT_FALSE(RobotsPatternMatches("/a*b*c", "/axxbyy"));
  EXPECT_TRUE(RobotsPatternMatches("/", "/anything"));
  EXPECT_TRUE(RobotsPatternMatches("/end$", "/end"));
  EXPECT_FALSE(RobotsPatternMatches("/end$", "/ending"));
  EXPECT_TRUE(RobotsPatternMatches("*", "/x"));
}

TEST(RobotsRules, OurGroupWinsOverTheDefault) {
  const auto rules = RobotsRules::Parse(
      "User-agent: *\nDisallow: /\n\n"
      "User-agent: Tributary\nDisallow: /private\n");
  EXPECT_TRUE(rules.Check(kAgent, "/public/page").allowed);
  const auto v = rules.Check(kAgent, "/private/x");
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.rule, "Disallow: /private");
  EXPECT_FALSE(rules.Check("otherbot/1.0", "/public/page").allowed);
}

TEST(RobotsRules, LongestMatchWinsAndAllowWinsATie) {
  const auto rules = RobotsRules::Parse(
      "# comment\nuser-agent: *\nDisallow: /shop\nAllow: /shop/catalogue\n"
      "Disallow: /same\nAllow: /same\n");
  EXPECT_FALSE(rules.Check(kAgent, "/shop/cart").allowed);
  const auto v = rules.Check(kAgent, "/shop/catalogue/page-1.html");
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.rule, "Allow: /shop/catalogue");
  EXPECT_TRUE(rules.Check(kAgent, "/same").allowed);
}

TEST(RobotsRules, GroupsWithSeveralAgentsAndEmptyDisallow) {
  const auto rules = RobotsRules::Parse(
      "User-agent: a\nUser-agent: tributary\nDisallow: /x\n"
      "User-agent: b\nDisallow:\n");
  EXPECT_FALSE(rules.Check(kAgent, "/x").allowed);
  EXPECT_TRUE(rules.Check("b", "/x").allowed);
  EXPECT_TRUE(rules.Check("nobody", "/x").allowed);  // no group, no "*": allowed
}

TEST(RobotsRules, UnreachableMeansDisallowButRobotsTxtItself) {
  const auto rules = RobotsRules::DisallowAll();
  EXPECT_FALSE(rules.Check(kAgent, "/").allowed);
  EXPECT_TRUE(rules.Check(kAgent, "/robots.txt").allowed);
  EXPECT_TRUE(RobotsRules::AllowAll().Check(kAgent, "/anything").allowed);
}

TEST(RobotsRules, QueryIsPartOfThePathAndCrLfWorks) {
  const auto rules = RobotsRules::Parse("User-agent: *\r\nDisallow: /*?session=\r\n");
  EXPECT_FALSE(rules.Check(kAgent, "/page?session=1").allowed);
  EXPECT_TRUE(rules.Check(kAgent, "/page?id=1").allowed);
}

TEST(RobotsRules, ProductToken) {
  EXPECT_EQ(RobotsRules::ProductToken("Tributary/0.1 (+x)"), "tributary");
  EXPECT_EQ(RobotsRules::ProductToken("my-bot"), "my-bot");
}

}  // namespace
}  // namespace tributary::fetchers
