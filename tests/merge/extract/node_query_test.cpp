#include "merge/extract/node_query.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "tests/merge/extract/test_html.hpp"

namespace tributary::merge::extract {
namespace {

using testing::Describe;
using testing::DocNode;
using testing::ParseOrDie;

constexpr const char* kFixture = R"(<html><body>
<div class="r" id="r1">
  <h3><a href="/b/1" title="Book &amp; One">Book &amp; One…</a></h3>
  <p class="price">  £51.77 <span>incl.</span>
     tax </p>
  <p class="bare"><b>only child text</b></p>
  <p class="note">note</p>
  <ul><li>a</li><li>b</li><li> c </li></ul>
</div>
<div class="r" id="r2"><h3><a href="/b/2" title="Two">Two</a></h3></div>
</body></html>)";

struct XPathContextFree {
  void operator()(xmlXPathContext* c) const { xmlXPathFreeContext(c); }
};

class NodeQueryTest : public ::testing::Test {
 protected:
  NodeQueryTest() : doc_(ParseOrDie(kFixture)), xpath_(xmlXPathNewContext(doc_.doc())) {
    auto records = NodeQuery::Compile("div.r");
    record_ = (*records->SelectElements(nullptr, DocNode(doc_)))[0];
  }

  nlohmann::json Values(std::string_view selector, size_t limit = SIZE_MAX) {
    auto query = NodeQuery::Compile(selector);
    if (!query) return "compile error: " + query.error().message;
    auto values = query->SelectValues(xpath_.get(), record_, limit);
    if (!values) return "error: " + values.error().message;
    return *values;
  }

  std::string CompileError(std::string_view selector) {
    auto query = NodeQuery::Compile(selector);
    return query ? "compiled" : query.error().message;
  }

  HtmlDocument doc_;
  std::unique_ptr<xmlXPathContext, XPathContextFree> xpath_;
  xmlNode* record_ = nullptr;
};

TEST_F(NodeQueryTest, ElementGivesItsWholeTextCollapsed) {
  EXPECT_EQ(Values("p.price"), nlohmann::json({"£51.77 incl. tax"}));
  EXPECT_EQ(Values("h3 a"), nlohmann::json({"Book & One…"}));
  EXPECT_EQ(Values("li"), nlohmann::json({"a", "b", "c"}));
  EXPECT_EQ(Values("li", 1), nlohmann::json({"a"}));
  EXPECT_EQ(Values("nothing"), nlohmann::json::array());
}

TEST_F(NodeQueryTest, TextPseudoElementJoinsOwnTextNodes) {
  EXPECT_EQ(Values("p.price::text"), nlohmann::json({"  £51.77 \n     tax "}));
  EXPECT_EQ(Values("p::text", 1), nlohmann::json({"  £51.77 \n     tax "}));
  // Elements without text children are skipped, as parsel does.
  EXPECT_EQ(Values("p.bare::text"), nlohmann::json::array());
  EXPECT_EQ(Values("p.bare ::text"), nlohmann::json({"only child text"}));
  EXPECT_EQ(Values("p:not(.price)::text"), nlohmann::json({"note"}));
}

TEST_F(NodeQueryTest, AttrPseudoElement) {
  EXPECT_EQ(Values("h3 a::attr(title)"), nlohmann::json({"Book & One"}));
  EXPECT_EQ(Values("a::attr(HREF)"), nlohmann::json({"/b/1"}));
  EXPECT_EQ(Values("*::attr(class)"), nlohmann::json({"r", "price", "bare", "note"}));
  EXPECT_EQ(Values("::attr(id)"), nlohmann::json({"r1"})) << "the record element itself";
  EXPECT_EQ(Values("a::attr(missing)"), nlohmann::json::array());
  EXPECT_EQ(Values("h3 a::attr(title), p.note::text"), nlohmann::json({"Book & One", "note"}));
}

TEST_F(NodeQueryTest, EmptySelectorIsTheRecordItself) {
  const auto values = Values("");
  ASSERT_EQ(values.size(), 1u);
  EXPECT_TRUE(values[0].get<std::string>().starts_with("Book & One… £51.77 incl. tax"));
}

TEST_F(NodeQueryTest, XPathValues) {
  EXPECT_EQ(Values("xpath:.//a/@href"), nlohmann::json({"/b/1"}));
  EXPECT_EQ(Values("xpath://a/@href"), nlohmann::json({"/b/1", "/b/2"})) << "absolute paths";
  EXPECT_EQ(Values("xpath:.//li"), nlohmann::json({"a", "b", "c"}));
  EXPECT_EQ(Values("xpath:.//li/text()"), nlohmann::json({"a", "b", " c "}));
  EXPECT_EQ(Values("xpath:count(.//li)"), nlohmann::json({3}));
  EXPECT_EQ(Values("xpath:count(.//li) div 2"), nlohmann::json({1.5}));
  EXPECT_EQ(Values("xpath:string(.//h3/a/@title)"), nlohmann::json({"Book & One"}));
  EXPECT_EQ(Values("xpath:boolean(.//ul)"), nlohmann::json({true}));
  EXPECT_EQ(Values("xpath:boolean(.//table)"), nlohmann::json({false}));
  EXPECT_EQ(Values("xpath:number('x')"), nlohmann::json::array()) << "NaN is no value";
  EXPECT_EQ(Values("xpath:.//li", 2), nlohmann::json({"a", "b"}));
}

TEST_F(NodeQueryTest, XPathRecordsMustBeNodes) {
  auto records = NodeQuery::Compile("xpath://div[@class='r']");
  ASSERT_TRUE(records.ok()) << records.error().message;
  auto elements = records->SelectElements(xpath_.get(), DocNode(doc_));
  ASSERT_TRUE(elements.ok());
  EXPECT_EQ(Describe(*elements), "r1 r2");
  auto count = NodeQuery::Compile("xpath:count(//div)");
  ASSERT_TRUE(count.ok());
  auto not_nodes = count->SelectElements(xpath_.get(), DocNode(doc_));
  ASSERT_FALSE(not_nodes.ok());
  EXPECT_EQ(not_nodes.error().message, "XPath \"xpath:count(//div)\" must select elements");
}

TEST_F(NodeQueryTest, XPathErrors) {
  EXPECT_EQ(CompileError("xpath://a["),
            "XPath: invalid expression at position 11 in \"xpath://a[\"");
  EXPECT_EQ(CompileError("xpath:"), "empty XPath expression in \"xpath:\"");
  const std::string unknown_function = CompileError("xpath:nosuch(//a)");
  EXPECT_NE(unknown_function.find("xpath:nosuch(//a)"), std::string::npos) << unknown_function;
  EXPECT_NE(unknown_function.find("unregistered function"), std::string::npos) << unknown_function;
  EXPECT_EQ(CompileError("xpath:$undefined"), "XPath: undefined variable in \"xpath:$undefined\"");
  EXPECT_EQ(CompileError("xpath:.//a/@href"), "compiled");
}

TEST_F(NodeQueryTest, CssErrorsPassThrough) {
  EXPECT_EQ(CompileError("a[b]]"), "unexpected \"]\" at position 5 in \"a[b]]\"");
  EXPECT_EQ(CompileError("  "), "compiled") << "blank is the record itself";
}

}  // namespace
}  // namespace tributary::merge::extract
