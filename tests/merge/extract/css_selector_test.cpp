#include "merge/extract/css_selector.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "tests/merge/extract/test_html.hpp"

namespace tributary::merge::extract {
namespace {

using testing::Describe;
using testing::DocNode;
using testing::ParseOrDie;

// ---- Parser ----

std::string ParseError(std::string_view selector) {
  auto parsed = CssSelector::Parse(selector);
  if (parsed) return "parsed";
  return parsed.error().message;
}

TEST(CssParserTest, AcceptsLevel3Syntax) {
  for (const char* s : {"*",
                        "a",
                        "A",
                        "div.a#b[c]:first-child > span + em ~ strong",
                        "a[b='x y' i]",
                        "a[b=\"x\\\"y\"]",
                        "[data-id=5]",
                        "a[href^=http://x]",
                        "#\\31 23",
                        "p::text",
                        "::text",
                        "a::attr(href)",
                        "::attr( data-x )",
                        "p ::text",
                        "a, b , c",
                        "li:nth-child( 2n + 1 )",
                        "li:nth-child(-n+3)",
                        "li:nth-child(odd)",
                        "li:NTH-CHILD(EVEN)",
                        "li:nth-last-of-type(3)",
                        "p:not(.a, #b):not([c])",
                        ":root",
                        "p:empty",
                        "-x-y",
                        "\n a \t>\tb\n",
                        "a é"}) {
    EXPECT_EQ(ParseError(s), "parsed") << s;
  }
}

TEST(CssParserTest, BuildsTheStructure) {
  auto parsed = CssSelector::Parse("div.a#b > P[x|=en] + em ~ i b::attr(HREF), c::text");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const auto& alternatives = parsed->alternatives();
  ASSERT_EQ(alternatives.size(), 2u);
  const auto& first = alternatives[0];
  ASSERT_EQ(first.compounds.size(), 5u);
  EXPECT_EQ(first.compounds[0].tag, "div");
  EXPECT_EQ(first.compounds[0].classes, std::vector<std::string>{"a"});
  EXPECT_EQ(first.compounds[0].ids, std::vector<std::string>{"b"});
  EXPECT_EQ(first.compounds[1].tag, "p");
  ASSERT_EQ(first.compounds[1].attributes.size(), 1u);
  EXPECT_EQ(first.compounds[1].attributes[0].op, AttributeCondition::Op::kDashMatch);
  EXPECT_EQ(first.compounds[1].attributes[0].value, "en");
  EXPECT_EQ(first.combinators,
            (std::vector<Combinator>{Combinator::kChild, Combinator::kAdjacent,
                                     Combinator::kSibling, Combinator::kDescendant}));
  EXPECT_EQ(first.pseudo_element, PseudoElement::kAttr);
  EXPECT_EQ(first.attribute, "href");
  EXPECT_EQ(alternatives[1].pseudo_element, PseudoElement::kText);
}

TEST(CssParserTest, ParsesNthExpressions) {
  auto nth = [](std::string_view arg) {
    auto parsed = CssSelector::Parse("li:nth-child(" + std::string(arg) + ")");
    EXPECT_TRUE(parsed.ok()) << arg;
    const auto& p = parsed->alternatives()[0].compounds[0].pseudo_classes[0].nth;
    return std::pair(p.a, p.b);
  };
  EXPECT_EQ(nth("odd"), std::pair(2, 1));
  EXPECT_EQ(nth("even"), std::pair(2, 0));
  EXPECT_EQ(nth("3"), std::pair(0, 3));
  EXPECT_EQ(nth("+3"), std::pair(0, 3));
  EXPECT_EQ(nth("-n+3"), std::pair(-1, 3));
  EXPECT_EQ(nth("n"), std::pair(1, 0));
  EXPECT_EQ(nth("2n - 1"), std::pair(2, -1));
  EXPECT_EQ(nth(" 10N+5 "), std::pair(10, 5));
}

TEST(CssParserTest, ReportsErrorsWithPositions) {
  EXPECT_EQ(ParseError("a[b]]"), "unexpected \"]\" at position 5 in \"a[b]]\"");
  EXPECT_EQ(ParseError(""), "empty selector");
  EXPECT_EQ(ParseError("  "), "empty selector");
  EXPECT_EQ(ParseError("a["), "unexpected end at position 3 in \"a[\"");
  EXPECT_EQ(ParseError("a >"), "unexpected end at position 4 in \"a >\"");
  EXPECT_EQ(ParseError("a,"), "unexpected end at position 3 in \"a,\"");
  EXPECT_EQ(ParseError(",a"), "unexpected \",\" at position 1 in \",a\"");
  EXPECT_EQ(ParseError("a > > b"), "unexpected \">\" at position 5 in \"a > > b\"");
  EXPECT_EQ(ParseError("a:hover"), "unknown pseudo-class \":hover\" at position 2 in \"a:hover\"");
  EXPECT_EQ(ParseError("a::before"),
            "unknown pseudo-element \"::before\" at position 2 in \"a::before\"");
  EXPECT_EQ(ParseError("li:nth-child(2x)"),
            "invalid :nth-child() argument \"2x\" (expected an+b, odd or even) at position 14 in "
            "\"li:nth-child(2x)\"");
  EXPECT_EQ(ParseError("li:nth-child"),
            "expected \"(\" after \":nth-child\" at position 13 in \"li:nth-child\"");
  EXPECT_EQ(ParseError("li:nth-child(2"), "unexpected end at position 15 in \"li:nth-child(2\"");
  EXPECT_EQ(ParseError("a:first-child()"),
            "unexpected \"(\" at position 14 in \"a:first-child()\"");
  EXPECT_EQ(ParseError("a[href='x]"), "unterminated string at position 8 in \"a[href='x]\"");
  EXPECT_EQ(ParseError("a::text b"),
            "unexpected \"b\" at position 9 in \"a::text b\" (a pseudo-element must end its "
            "selector)");
  EXPECT_EQ(ParseError("ns|a"), "namespace prefixes are not supported at position 3 in \"ns|a\"");
  EXPECT_EQ(ParseError("a[x=]"), "unexpected \"]\" at position 5 in \"a[x=]\"");
  EXPECT_EQ(ParseError("a[x!=y]"), "unexpected \"!\" at position 4 in \"a[x!=y]\"");
  EXPECT_EQ(ParseError("a[x=y z]"), "unexpected \"z\" at position 7 in \"a[x=y z]\"");
  EXPECT_EQ(ParseError(":not(::text)"), "unexpected \":\" at position 6 in \":not(::text)\"");
  EXPECT_EQ(ParseError(":not()"), "unexpected \")\" at position 6 in \":not()\"");
  EXPECT_EQ(ParseError(":not(a b)"), "unexpected \"b\" at position 8 in \":not(a b)\"");
  EXPECT_EQ(ParseError("#"), "unexpected end at position 2 in \"#\"");
  EXPECT_EQ(ParseError(".1a"), "unexpected \"1\" at position 2 in \".1a\"");
  EXPECT_EQ(ParseError("::attr()"), "unexpected \")\" at position 8 in \"::attr()\"");
  EXPECT_EQ(ParseError("::attr"), "expected \"(\" after \"::attr\" at position 7 in \"::attr\"");
  EXPECT_EQ(ParseError("a/b"), "unexpected \"/\" at position 2 in \"a/b\"");
  EXPECT_EQ(ParseError("a\\"), "unexpected \"\\\" at position 2 in \"a\\\"");
}

TEST(CssParserTest, DecodesEscapes) {
  auto parsed = CssSelector::Parse("#\\31 23.a\\.b[x=\"\\41 \\\"q\"]");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const auto& compound = parsed->alternatives()[0].compounds[0];
  EXPECT_EQ(compound.ids, std::vector<std::string>{"123"});
  EXPECT_EQ(compound.classes, std::vector<std::string>{"a.b"});
  EXPECT_EQ(compound.attributes[0].value, "A\"q");
}

// ---- Matcher ----

constexpr const char* kFixture = R"(<!DOCTYPE html>
<html><head><title>T</title></head>
<body>
<div id="main" class="content wide" lang="en-US" data-x="alpha beta">
  <p id="p1" class="intro">First <b id="b1">bold</b> para</p>
  <p id="p2">Second</p>
  <span id="s1"></span>
  <p id="p3" class="Intro">Third</p>
  <ul id="list">
    <li id="l1">1</li><li id="l2">2</li><li id="l3">3</li><li id="l4">4</li><li id="l5">5</li>
  </ul>
  <a id="a1" href="https://example.com/x.pdf" title="ex">link</a>
  <a id="a2" href="/local/page.html">local</a>
  <div id="empty"><!-- comment --></div>
  <div id="ws"> </div>
</div>
<div id="other"><p id="p4">Other</p></div>
</body></html>)";

class CssMatchTest : public ::testing::Test {
 protected:
  CssMatchTest() : doc_(ParseOrDie(kFixture)) {}

  std::string Select(std::string_view selector, std::string_view scope_id = "") {
    auto parsed = CssSelector::Parse(selector);
    if (!parsed) return "error: " + parsed.error().message;
    xmlNode* scope = DocNode(doc_);
    if (!scope_id.empty()) {
      auto by_id = CssSelector::Parse("#" + std::string(scope_id));
      const auto found = by_id->Select(DocNode(doc_), 1);
      if (found.empty()) return "no scope";
      scope = found[0];
    }
    return Describe(parsed->Select(scope));
  }

  HtmlDocument doc_;
};

TEST_F(CssMatchTest, TypeUniversalClassId) {
  EXPECT_EQ(Select("p"), "p1 p2 p3 p4");
  EXPECT_EQ(Select("P"), "p1 p2 p3 p4");
  EXPECT_EQ(Select("#list > *"), "l1 l2 l3 l4 l5");
  EXPECT_EQ(Select(".intro"), "p1") << "class values are case-sensitive";
  EXPECT_EQ(Select(".Intro"), "p3");
  EXPECT_EQ(Select(".content.wide"), "main");
  EXPECT_EQ(Select(".content.narrow"), "");
  EXPECT_EQ(Select("#p2"), "p2");
  EXPECT_EQ(Select("p#p2"), "p2");
  EXPECT_EQ(Select("div#p2"), "");
  EXPECT_EQ(Select("#P2"), "") << "ids are case-sensitive";
  EXPECT_EQ(Select("DIV#main"), "main");
  EXPECT_EQ(Select("title"), "title");
  EXPECT_EQ(Select("nosuch"), "");
}

TEST_F(CssMatchTest, Attributes) {
  EXPECT_EQ(Select("[title]"), "a1");
  EXPECT_EQ(Select("[TITLE]"), "a1") << "attribute names are case-insensitive";
  EXPECT_EQ(Select("[href=\"/local/page.html\"]"), "a2");
  EXPECT_EQ(Select("[href='/local/page.html']"), "a2");
  EXPECT_EQ(Select("[data-x~=beta]"), "main");
  EXPECT_EQ(Select("[data-x~=bet]"), "");
  EXPECT_EQ(Select("[data-x~=\"alpha beta\"]"), "");
  EXPECT_EQ(Select("[lang|=en]"), "main");
  EXPECT_EQ(Select("[lang|=en-US]"), "main");
  EXPECT_EQ(Select("[lang|=e]"), "");
  EXPECT_EQ(Select("a[href^=https]"), "a1");
  EXPECT_EQ(Select("a[href^=\"\"]"), "");
  EXPECT_EQ(Select("a[href$=\".pdf\"]"), "a1");
  EXPECT_EQ(Select("a[href*=local]"), "a2");
  EXPECT_EQ(Select("[lang=en-us]"), "");
  EXPECT_EQ(Select("[lang=en-us i]"), "main");
  EXPECT_EQ(Select("[lang=en-US s]"), "main");
  EXPECT_EQ(Select("a[href][title]"), "a1");
}

TEST_F(CssMatchTest, Combinators) {
  EXPECT_EQ(Select("div p"), "p1 p2 p3 p4");
  EXPECT_EQ(Select("#main > p"), "p1 p2 p3");
  EXPECT_EQ(Select("body > div > p > b"), "b1");
  EXPECT_EQ(Select("div b"), "b1");
  EXPECT_EQ(Select("html div div"), "empty ws") << "nested divs only";
  EXPECT_EQ(Select("#p1 + p"), "p2");
  EXPECT_EQ(Select("#p2 + p"), "") << "a span sits between p2 and p3";
  EXPECT_EQ(Select("#p1 ~ p"), "p2 p3");
  EXPECT_EQ(Select("#p1 ~ a + a"), "a2");
  EXPECT_EQ(Select("ul li + li + li"), "l3 l4 l5");
  EXPECT_EQ(Select("body > #other p"), "p4");
}

TEST_F(CssMatchTest, GroupsAreInDocumentOrderWithoutDuplicates) {
  EXPECT_EQ(Select("#p2, #p1"), "p1 p2");
  EXPECT_EQ(Select("#p1, p, .intro"), "p1 p2 p3 p4");
}

TEST_F(CssMatchTest, PseudoClasses) {
  EXPECT_EQ(Select("li:first-child"), "l1");
  EXPECT_EQ(Select("li:last-child"), "l5");
  EXPECT_EQ(Select("li:nth-child(2n+1)"), "l1 l3 l5");
  EXPECT_EQ(Select("li:nth-child(odd)"), "l1 l3 l5");
  EXPECT_EQ(Select("li:nth-child(even)"), "l2 l4");
  EXPECT_EQ(Select("li:nth-child(3)"), "l3");
  EXPECT_EQ(Select("li:nth-child(-n+2)"), "l1 l2");
  EXPECT_EQ(Select("li:nth-child(n+4)"), "l4 l5");
  EXPECT_EQ(Select("li:nth-child(0n+1)"), "l1");
  EXPECT_EQ(Select("li:nth-child(3n-1)"), "l2 l5");
  EXPECT_EQ(Select("li:nth-last-child(1)"), "l5");
  EXPECT_EQ(Select("li:nth-last-child(2n)"), "l2 l4");
  EXPECT_EQ(Select("#main > p:nth-of-type(2)"), "p2");
  EXPECT_EQ(Select("#main > p:nth-last-of-type(1)"), "p3");
  EXPECT_EQ(Select("#main > p:first-of-type"), "p1");
  EXPECT_EQ(Select("#main > p:last-of-type"), "p3");
  EXPECT_EQ(Select("#main > span:only-of-type"), "s1");
  EXPECT_EQ(Select("#main > p:only-of-type"), "");
  EXPECT_EQ(Select("#other > p:only-child"), "p4");
  EXPECT_EQ(Select("#main > p:only-child"), "");
  EXPECT_EQ(Select("li:not(#l2):not(#l4)"), "l1 l3 l5");
  EXPECT_EQ(Select("p:not(.intro)"), "p2 p3 p4");
  EXPECT_EQ(Select("#list > :not(li)"), "");
  EXPECT_EQ(Select("#main > :not(p, a, ul)"), "s1 empty ws");
  EXPECT_EQ(Select("#main > :empty"), "s1 empty") << "comments do not count; a space does";
  EXPECT_EQ(Select(":root"), "html");
  EXPECT_EQ(Select("body:root"), "");
  EXPECT_EQ(Select("li:first-child:last-child"), "");
}

TEST_F(CssMatchTest, SelectionIsScopedToTheContextSubtree) {
  EXPECT_EQ(Select("p", "main"), "p1 p2 p3");
  EXPECT_EQ(Select("div", "main"), "main empty ws") << "the scope itself is a candidate";
  EXPECT_EQ(Select("div p", "other"), "p4");
  EXPECT_EQ(Select("body p", "other"), "") << "ancestors outside the scope do not count";
  EXPECT_EQ(Select("#p1 ~ p", "p2"), "") << "siblings outside the scope do not count";
  EXPECT_EQ(Select("li + li", "l2"), "");
  EXPECT_EQ(Select("li + li", "list"), "l2 l3 l4 l5");
}

TEST_F(CssMatchTest, LimitStopsEarly) {
  auto parsed = CssSelector::Parse("li");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(Describe(parsed->Select(DocNode(doc_), 2)), "l1 l2");
  EXPECT_TRUE(parsed->Select(DocNode(doc_), 0).empty());
}

TEST(CssMatchDeepTest, DeepNestingKeepsTheWholeDocumentAndStaysFast) {
  // Past 256 levels libxml2 would stop parsing and drop the rest of the page by default.
  std::string html = "<body>";
  constexpr int kDepth = 5000;
  for (int i = 0; i < kDepth; ++i) html += "<div>";
  html += "<span>x</span>";
  for (int i = 0; i < kDepth; ++i) html += "</div>";
  html += "<p id=after>after</p></body>";
  HtmlDocument doc = ParseOrDie(html);
  auto select = [&](std::string_view selector) {
    auto parsed = CssSelector::Parse(selector);
    EXPECT_TRUE(parsed.ok()) << selector;
    return parsed->Select(DocNode(doc)).size();
  };
  // Descendant matching must not retry every ancestor for every element.
  EXPECT_EQ(select("section div div span"), 0u);
  EXPECT_EQ(select("div div > span"), 1u);
  EXPECT_EQ(select("body div"), static_cast<size_t>(kDepth));
  EXPECT_EQ(select("body > p#after"), 1u);
}

TEST(CssMatchDeepTest, JsoupDeepStack) {
  // jsoup's handlesDeepStack: 25,000 nested <dl><dd>.
  std::string html;
  constexpr int kDepth = 25000;
  for (int i = 0; i < kDepth; ++i) html += "<dl><dd>";
  for (int i = 0; i < kDepth; ++i) html += "</dd></dl>";
  HtmlDocument doc = ParseOrDie(html);
  auto dd = CssSelector::Parse("dd");
  ASSERT_TRUE(dd.ok());
  EXPECT_EQ(dd->Select(DocNode(doc)).size(), static_cast<size_t>(kDepth));
  EXPECT_EQ(dom::TextContent(DocNode(doc)), "");
}

}  // namespace
}  // namespace tributary::merge::extract
