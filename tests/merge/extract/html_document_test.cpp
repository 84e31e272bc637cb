#include "merge/extract/html_document.hpp"

#include <gtest/gtest.h>

#include <random>

#include "merge/extract/css_selector.hpp"
#include "merge/extract/dom.hpp"
#include "tests/merge/extract/test_html.hpp"

namespace tributary::merge::extract {
namespace {

using testing::DocNode;

// The text of the first element matching `selector`, or "<none>".
std::string FirstText(const HtmlDocument& doc, std::string_view selector) {
  auto css = CssSelector::Parse(selector);
  if (!css) return "<bad selector>";
  const auto nodes = css->Select(DocNode(doc), 1);
  return nodes.empty() ? "<none>" : dom::TextContent(nodes[0]);
}

std::string TextOf(std::string_view html, std::string_view charset, std::string_view selector) {
  auto doc = HtmlDocument::Parse(html, charset);
  if (!doc) return "<error: " + doc.error().message + ">";
  return FirstText(*doc, selector);
}

TEST(HtmlDocumentTest, RepairsMalformedMarkup) {
  EXPECT_EQ(TextOf("<div><p>unclosed <b>bold", "", "b"), "bold");
  EXPECT_EQ(TextOf("<p>one<p>two", "", "p + p"), "two");
  EXPECT_EQ(TextOf("<table><tr><td>cell</table>", "", "td"), "cell");
  EXPECT_EQ(TextOf("<b><i>crossed</b></i>", "", "b i"), "crossed");
  EXPECT_EQ(TextOf("no markup at all", "", "p"), "no markup at all");
  EXPECT_EQ(TextOf("<a href=\"x>broken attr</a>", "", "p"), "<none>");
  EXPECT_EQ(TextOf("<p>&amp; &lt; &copy; &bogus; &#x41;&#66;</p>", "", "p"), "& < © &bogus; AB");
}

TEST(HtmlDocumentTest, EmptyInputIsAnError) {
  for (std::string_view body : {"", "   \n\t "}) {
    auto doc = HtmlDocument::Parse(body, "");
    ASSERT_FALSE(doc.ok());
    EXPECT_EQ(doc.error().error_class, ErrorClass::kSourceBroken);
    EXPECT_EQ(doc.error().message, "the HTML document is empty");
  }
}

TEST(HtmlDocumentTest, GarbageBytesNeverCrash) {
  std::mt19937 random(12345);
  std::uniform_int_distribution<int> byte(0, 255);
  const std::string alphabet = "<>/=\"' &;#abcdefghijklmnop!-?";
  for (int round = 0; round < 300; ++round) {
    std::string body;
    const int size = 1 + round * 7;
    for (int i = 0; i < size; ++i) {
      body += round % 2 == 0 ? static_cast<char>(byte(random))
                             : alphabet[static_cast<size_t>(byte(random)) % alphabet.size()];
    }
    auto doc = HtmlDocument::Parse(body, round % 3 == 0 ? "utf-8" : "");
    if (doc) FirstText(*doc, "p, div a");
  }
}

TEST(HtmlDocumentTest, EveryTruncationParses) {
  const std::string page =
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>t</title></head><body>"
      "<div class=\"a\"><p id=x>caf\xC3\xA9 <b>b</b></p><!-- c --><script>if (a<b) {}</script>"
      "<![CDATA[x]]><img src=\"y\"/></div></body></html>";
  for (size_t n = 1; n <= page.size(); ++n) {
    auto doc = HtmlDocument::Parse(std::string_view(page).substr(0, n), "");
    if (doc) FirstText(*doc, "div.a p");
  }
}

TEST(HtmlDocumentTest, CharsetFromContentType) {
  const std::string latin1 =
      "<html><body><p>caf\xE9 \xA3"
      "5</p></body></html>";
  EXPECT_EQ(TextOf(latin1, "ISO-8859-1", "p"),
            "caf\xC3\xA9 \xC2\xA3"
            "5");
  EXPECT_EQ(TextOf(latin1, "iso-8859-1", "p"),
            "caf\xC3\xA9 \xC2\xA3"
            "5");
  const std::string cp1252 = "<p>\x80 10</p>";
  EXPECT_EQ(TextOf(cp1252, "windows-1252", "p"), "\xE2\x82\xAC 10");
}

TEST(HtmlDocumentTest, CharsetFromMeta) {
  EXPECT_EQ(TextOf("<html><head><meta charset=\"iso-8859-1\"></head><body><p>caf\xE9</p>", "", "p"),
            "caf\xC3\xA9");
  EXPECT_EQ(TextOf("<html><head><meta http-equiv=\"Content-Type\" "
                   "content=\"text/html; charset=ISO-8859-1\"></head><body><p>caf\xE9</p>",
                   "", "p"),
            "caf\xC3\xA9");
}

TEST(HtmlDocumentTest, HeaderCharsetWinsOverMeta) {
  // scrapy-bench pages declare windows-1251 in <meta> but were saved as UTF-8.
  const std::string page =
      "<html><head><meta charset=\"windows-1251\"></head><body><p>\xD0\x9F\xD1\x80\xD0\xB8"
      "</p></body></html>";
  EXPECT_EQ(TextOf(page, "utf-8", "p"), "\xD0\x9F\xD1\x80\xD0\xB8");
  EXPECT_NE(TextOf(page, "", "p"), "\xD0\x9F\xD1\x80\xD0\xB8")
      << "without the header the meta charset applies";
}

TEST(HtmlDocumentTest, Utf8WithoutDeclaration) {
  EXPECT_EQ(TextOf("<p>caf\xC3\xA9 \xE2\x82\xAC</p>", "", "p"), "caf\xC3\xA9 \xE2\x82\xAC");
}

TEST(HtmlDocumentTest, ByteOrderMarkWins) {
  // UTF-16LE with a BOM, and a header that says otherwise.
  std::string utf16 = "\xFF\xFE";
  for (char c : std::string("<p>ok \xE9</p>")) {
    utf16 += c;
    utf16 += '\0';
  }
  EXPECT_EQ(TextOf(utf16, "", "p"), "ok \xC3\xA9");
  EXPECT_EQ(TextOf(utf16, "iso-8859-1", "p"), "ok \xC3\xA9");
  EXPECT_EQ(TextOf("\xEF\xBB\xBF<p>caf\xC3\xA9</p>", "iso-8859-1", "p"), "caf\xC3\xA9");
}

TEST(HtmlDocumentTest, UnknownCharsetFallsBack) {
  EXPECT_EQ(TextOf("<p>caf\xC3\xA9</p>", "x-no-such-charset", "p"), "caf\xC3\xA9");
}

}  // namespace
}  // namespace tributary::merge::extract
