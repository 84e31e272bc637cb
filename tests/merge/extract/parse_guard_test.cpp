// ParseGuard stops libxml2 while it parses: a document past its element bounds never builds
// its whole tree. Checked on the partial tree the parser leaves behind, and through the
// document parsers that use the guard.
#include "merge/extract/parse_guard.hpp"

#include <gtest/gtest.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include <memory>
#include <string>

#include "merge/extract/html_document.hpp"
#include "merge/extract/xml_document.hpp"

namespace tributary::merge::extract {
namespace {

std::string Repeat(const std::string& piece, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += piece;
  return out;
}

// Elements and deepest element nesting of a (partial) tree.
struct Shape {
  uint64_t elements = 0;
  uint64_t depth = 0;
  size_t consumed = 0;  // bytes of the input the parser had read when it returned
};
void Measure(const xmlNode* node, uint64_t depth, Shape& shape) {
  for (; node != nullptr; node = node->next) {
    if (node->type != XML_ELEMENT_NODE) continue;
    ++shape.elements;
    shape.depth = std::max(shape.depth, depth);
    Measure(node->children, depth + 1, shape);
  }
}

using Ctxt = std::unique_ptr<xmlParserCtxt, void (*)(xmlParserCtxt*)>;

// Parses with the guard as the document parsers do; returns the shape of what was built.
Shape ParseGuarded(const std::string& text, bool html, const config::ExtractLimits& limits,
                   std::optional<Error>& error) {
  Ctxt ctxt(html ? htmlCreateMemoryParserCtxt(text.data(), static_cast<int>(text.size()))
                 : xmlCreateMemoryParserCtxt(text.data(), static_cast<int>(text.size())),
            xmlFreeParserCtxt);
  ParseGuard guard(ctxt.get(), limits);
  if (html) {
    htmlCtxtUseOptions(ctxt.get(), HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                       HTML_PARSE_NOWARNING | XML_PARSE_HUGE);
    htmlParseDocument(ctxt.get());
  } else {
    xmlCtxtUseOptions(ctxt.get(), XML_PARSE_RECOVER | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                      XML_PARSE_HUGE);
    xmlParseDocument(ctxt.get());
  }
  Shape shape;
  if (ctxt->input != nullptr) {
    // What libxml2 shrank away from its buffer, plus what it read of the rest.
    shape.consumed = static_cast<size_t>(ctxt->input->consumed) +
                     static_cast<size_t>(ctxt->input->cur - ctxt->input->base);
  }
  if (ctxt->myDoc != nullptr) {
    Measure(xmlDocGetRootElement(ctxt->myDoc), 1, shape);
    xmlFreeDoc(ctxt->myDoc);
    ctxt->myDoc = nullptr;
  }
  error = guard.error();
  return shape;
}

TEST(ParseGuard, StopsAtTheElementBound) {
  config::ExtractLimits limits;
  limits.max_nodes = 1000;
  for (bool html : {true, false}) {
    const std::string doc = "<r>" + Repeat("<p>x</p>", 100'000) + "</r>";
    std::optional<Error> error;
    const Shape built = ParseGuarded(doc, html, limits, error);
    ASSERT_TRUE(error.has_value()) << html;
    EXPECT_NE(error->message.find("bounds.max_nodes"), std::string::npos);
    // The parser stopped: the tree holds the bound's worth of elements, not 100,000, and
    // most of the input was never read.
    EXPECT_LE(built.elements, limits.max_nodes) << html;
    EXPECT_LT(built.consumed, doc.size() / 10) << html;
  }
}

TEST(ParseGuard, StopsAtTheDepthBound) {
  config::ExtractLimits limits;
  limits.max_depth = 100;
  for (bool html : {true, false}) {
    const std::string doc = Repeat("<div>", 5000) + Repeat("</div>", 5000);
    std::optional<Error> error;
    const Shape built = ParseGuarded(doc, html, limits, error);
    ASSERT_TRUE(error.has_value()) << html;
    EXPECT_NE(error->message.find("bounds.max_depth"), std::string::npos);
    EXPECT_LE(built.depth, limits.max_depth + 2) << html;  // html and body wrap an HTML tree
    EXPECT_LT(built.consumed, doc.size() / 10) << html;
  }
}

TEST(ParseGuard, LeavesDocumentsWithinTheBoundsAlone) {
  config::ExtractLimits limits;
  limits.max_nodes = 50;
  limits.max_depth = 10;
  // Siblings open and close: depth stays low however many there are (up to the node bound).
  const std::string doc = "<r>" + Repeat("<p><b>x</b></p>", 20) + "</r>";
  for (bool html : {true, false}) {
    std::optional<Error> error;
    const Shape built = ParseGuarded(doc, html, limits, error);
    EXPECT_FALSE(error.has_value()) << html;
    EXPECT_GE(built.elements, 41u) << html;
    EXPECT_EQ(built.consumed, doc.size()) << html;
  }
  auto html = HtmlDocument::Parse(doc, "UTF-8", true, &limits);
  EXPECT_TRUE(html.ok());
  auto xml = XmlDocument::Parse(doc, {}, &limits);
  EXPECT_TRUE(xml.ok());
}

TEST(ParseGuard, DocumentParsersReportTheBound) {
  config::ExtractLimits limits;
  limits.max_nodes = 1000;
  const std::string doc = "<r>" + Repeat("<p>x</p>", 10'000) + "</r>";
  auto html = HtmlDocument::Parse(doc, "UTF-8", true, &limits);
  ASSERT_FALSE(html.ok());
  EXPECT_NE(html.error().message.find("bounds.max_nodes"), std::string::npos);
  auto xml = XmlDocument::Parse(doc, {}, &limits);
  ASSERT_FALSE(xml.ok());
  EXPECT_NE(xml.error().message.find("bounds.max_nodes"), std::string::npos);
  // Without limits, the same document parses whole.
  EXPECT_TRUE(HtmlDocument::Parse(doc, "UTF-8", true).ok());
}

}  // namespace
}  // namespace tributary::merge::extract
