#include "merge/extract/extractor.hpp"

#include <gtest/gtest.h>

namespace tributary::merge::extract {
namespace {

using config::FieldSpec;
using config::Format;
using config::SourceConfig;
using config::ValueType;

FieldSpec Field(std::string name, std::string select, ValueType type = ValueType::kString) {
  FieldSpec f;
  f.name = std::move(name);
  f.select = std::move(select);
  f.type = type;
  return f;
}

SourceConfig Source(Format format, std::string records, std::vector<FieldSpec> fields,
                    std::vector<std::string> key = {}) {
  SourceConfig s;
  s.id = "test";
  s.format = format;
  s.records = std::move(records);
  s.fields = std::move(fields);
  s.key = std::move(key);
  return s;
}

ExtractInput Input(std::string_view body, std::string content_type = "",
                   std::string final_url = "https://shop.example/list/page-1.html") {
  return {body, std::move(content_type), std::move(final_url)};
}

constexpr const char* kShop = R"(<html><body>
<ul>
  <li class="item" data-sku="A1"><span class="name">Alpha</span> <em class="price">£1,299.00</em>
      <a href="alpha.html">more</a><i class="tag">new</i><i class="tag">sale</i></li>
  <li class="item" data-sku="B2"><span class="name">  Beta
      </span><em class="price">£5.50</em><a href="/beta">more</a></li>
  <li class="item" data-sku="C3"><span class="name">Gamma</span><em class="price">n/a</em></li>
  <li class="item" data-sku=""><span class="name">No sku</span></li>
  <li class="item" data-sku="A1"><span class="name">Alpha again</span></li>
</ul></body></html>)";

TEST(ExtractTest, HtmlRecordsFieldsAndStats) {
  auto tags = Field("tags", "i.tag::text");
  tags.multiple = true;
  const auto source = Source(Format::kHtml, "li.item",
                             {Field("sku", "::attr(data-sku)"), Field("name", "span.name::text"),
                              Field("price", "em.price", ValueType::kNumber),
                              Field("url", "a::attr(href)", ValueType::kUrl), tags},
                             {"sku"});
  auto out = Extract(source, Input(kShop, "text/html; charset=utf-8"));
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->format, Format::kHtml);
  ASSERT_EQ(out->records.size(), 3u);
  const auto& alpha = out->records[0];
  EXPECT_EQ(alpha.key, "A1");
  EXPECT_EQ(alpha.fields, nlohmann::json({{"sku", "A1"},
                                          {"name", "Alpha"},
                                          {"price", 1299},
                                          {"url", "https://shop.example/list/alpha.html"},
                                          {"tags", {"new", "sale"}}}));
  EXPECT_EQ(out->records[1].fields["name"], "Beta");
  EXPECT_EQ(out->records[1].fields["price"], 5.5);
  EXPECT_EQ(out->records[1].fields["url"], "https://shop.example/beta");
  EXPECT_FALSE(out->records[1].fields.contains("tags")) << "no matches is no value";
  EXPECT_FALSE(out->records[2].fields.contains("price")) << "n/a does not convert";
  const auto& stats = out->stats;
  EXPECT_EQ(stats.candidates, 5u);
  EXPECT_EQ(stats.dropped_missing_key, 1u);
  EXPECT_EQ(stats.duplicate_keys, 1u);
  EXPECT_EQ(stats.dropped_missing_required, 0u);
  EXPECT_EQ(stats.filled, (std::map<std::string, size_t>{
                              {"sku", 3}, {"name", 3}, {"price", 2}, {"url", 2}, {"tags", 1}}));
  EXPECT_EQ(stats.invalid, (std::map<std::string, size_t>{{"price", 1}}));
}

TEST(ExtractTest, DefaultsAndRequired) {
  auto price = Field("price", "em.price", ValueType::kNumber);
  price.default_value = 0;
  auto name = Field("name", "span.name");
  name.required = true;
  auto url = Field("url", "a::attr(href)", ValueType::kUrl);
  url.required = true;
  auto out = Extract(Source(Format::kHtml, "li.item", {name, price, url}), Input(kShop));
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->records.size(), 2u);
  EXPECT_EQ(out->stats.dropped_missing_required, 3u);
  EXPECT_EQ(out->records[0].key, "1") << "no key: position among kept records";
  EXPECT_EQ(out->records[1].key, "2");

  auto out2 = Extract(Source(Format::kHtml, "li.item", {name, price}), Input(kShop));
  ASSERT_TRUE(out2.ok());
  ASSERT_EQ(out2->records.size(), 5u);
  EXPECT_EQ(out2->records[2].fields["price"], 0) << "invalid value -> default";
  EXPECT_EQ(out2->records[3].fields["price"], 0) << "missing value -> default";
  EXPECT_EQ(out2->stats.filled.at("price"), 2u) << "defaults are not counted as filled";
}

TEST(ExtractTest, CompositeKeys) {
  const auto source =
      Source(Format::kHtml, "li.item",
             {Field("sku", "::attr(data-sku)"), Field("name", "span.name")}, {"sku", "name"});
  auto out = Extract(source, Input(kShop));
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->records.size(), 4u);
  EXPECT_EQ(out->records[0].key, R"(["A1","Alpha"])");
  EXPECT_EQ(out->records[3].key, R"(["A1","Alpha again"])");
  EXPECT_EQ(out->stats.dropped_missing_key, 1u);
  EXPECT_EQ(out->stats.duplicate_keys, 0u);
}

TEST(ExtractTest, NoRecordSelectorMeansTheWholeDocument) {
  auto names = Field("names", "span.name");
  names.multiple = true;
  auto out = Extract(Source(Format::kHtml, "", {Field("title", "title"), names}),
                     Input("<html><head><title> Shop </title></head><body>" + std::string(kShop)));
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->records.size(), 1u);
  EXPECT_EQ(out->records[0].fields["title"], "Shop");
  EXPECT_EQ(out->records[0].fields["names"].size(), 5u);
}

TEST(ExtractTest, XPathRecordsAndFields) {
  const auto source = Source(Format::kHtml, "xpath://li[@data-sku != '']",
                             {Field("sku", "xpath:string(@data-sku)"),
                              Field("links", "xpath:count(.//a)", ValueType::kInteger)});
  auto out = Extract(source, Input(kShop));
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->records.size(), 4u);
  EXPECT_EQ(out->records[0].fields, nlohmann::json({{"sku", "A1"}, {"links", 1}}));
  EXPECT_EQ(out->records[2].fields, nlohmann::json({{"sku", "C3"}, {"links", 0}}));
}

TEST(ExtractTest, XPathEvaluationErrorIsSourceBroken) {
  auto out = Extract(Source(Format::kHtml, "xpath:count(//li)", {}), Input(kShop));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().error_class, ErrorClass::kSourceBroken);
  EXPECT_EQ(out.error().message, "records: XPath \"xpath:count(//li)\" must select elements");
}

constexpr const char* kBooksJson = R"json({
  "meta": {"count": 4},
  "data": {"items": [
    {"id": 1, "title": " Dune ", "author": {"name": "Frank Herbert"}, "price": 9.99,
     "in_stock": true, "tags": ["sf", "classic"], "published": "1965-08-01",
     "link": "/books/1"},
    {"id": 2, "title": "Emma", "author": {"name": "Jane Austen"}, "price": "£7,50",
     "in_stock": "no", "tags": [], "published": 1714521600, "link": null},
    {"id": 3, "title": null, "price": 3},
    {"id": 1, "title": "Dune (duplicate id)"
}
  ]
  }
  })json";

TEST(ExtractTest, JsonRecordsAndFields) {
  auto tags = Field("tags", "/tags");
  tags.multiple = true;
  auto title = Field("title", "/title");
  title.required = true;
  const auto source = Source(
      Format::kJson, "/data/items",
      {Field("id", "/id", ValueType::kInteger), title, Field("author", "/author/name"),
       Field("price", "/price", ValueType::kNumber),
       Field("in_stock", "/in_stock", ValueType::kBoolean), tags, Field("tags_raw", "/tags"),
       Field("published", "/published", ValueType::kDate), Field("link", "/link", ValueType::kUrl)},
      {"id"});
  auto out = Extract(source, Input(kBooksJson, "application/json"));
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->format, Format::kJson);
  ASSERT_EQ(out->records.size(), 2u);
  EXPECT_EQ(out->records[0].key, "1");
  EXPECT_EQ(out->records[0].fields, nlohmann::json({{"id", 1},
                                                    {"title", "Dune"},
                                                    {"author", "Frank Herbert"},
                                                    {"price", 9.99},
                                                    {"in_stock", true},
                                                    {"tags", {"sf", "classic"}},
                                                    {"tags_raw", {"sf", "classic"}},
                                                    {"published", "1965-08-01T00:00:00Z"},
                                                    {"link", "https://shop.example/books/1"}}));
  EXPECT_EQ(out->records[1].fields, nlohmann::json({{"id", 2},
                                                    {"title", "Emma"},
                                                    {"author", "Jane Austen"},
                                                    {"price", 7.5},
                                                    {"in_stock", false},
                                                    {"tags_raw", nlohmann::json::array()},
                                                    {"published", "2024-05-01T00:00:00Z"}}));
  EXPECT_EQ(out->stats.candidates, 4u);
  EXPECT_EQ(out->stats.dropped_missing_required, 1u);
  EXPECT_EQ(out->stats.duplicate_keys, 1u);
}

TEST(ExtractTest, JsonRecordShapes) {
  const auto fields = std::vector<FieldSpec>{Field("v", "/v")};
  auto root_array = Extract(Source(Format::kJson, "", fields), Input(R"([{"v":1},{"v":2}])"));
  ASSERT_TRUE(root_array.ok());
  EXPECT_EQ(root_array->records.size(), 2u);
  auto root_object = Extract(Source(Format::kJson, "", fields), Input(R"({"v":"x"})"));
  ASSERT_TRUE(root_object.ok());
  ASSERT_EQ(root_object->records.size(), 1u);
  EXPECT_EQ(root_object->records[0].fields["v"], "x");
  auto one = Extract(Source(Format::kJson, "/item", fields), Input(R"({"item":{"v":3}})"));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->records.size(), 1u);
  auto null_list = Extract(Source(Format::kJson, "/items", fields), Input(R"({"items":null})"));
  ASSERT_TRUE(null_list.ok());
  EXPECT_EQ(null_list->records.size(), 0u);
  auto scalars = Extract(Source(Format::kJson, "", {Field("v", "", ValueType::kNumber)}),
                         Input(R"(["1,5", 2, "x"])"));
  ASSERT_TRUE(scalars.ok());
  ASSERT_EQ(scalars->records.size(), 3u);
  EXPECT_EQ(scalars->records[0].fields["v"], 1.5);
  EXPECT_EQ(scalars->records[1].fields["v"], 2);
  EXPECT_FALSE(scalars->records[2].fields.contains("v"));
  EXPECT_EQ(scalars->stats.invalid.at("v"), 1u);
}

TEST(ExtractTest, JsonErrors) {
  const auto fields = std::vector<FieldSpec>{Field("v", "/v")};
  auto missing = Extract(Source(Format::kJson, "/items", fields), Input(R"({"data":[]})"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().error_class, ErrorClass::kSourceBroken);
  EXPECT_EQ(missing.error().message,
            "records: JSON Pointer \"/items\" matches nothing in the document");
  auto scalar = Extract(Source(Format::kJson, "/n", fields), Input(R"({"n":5})"));
  ASSERT_FALSE(scalar.ok());
  EXPECT_EQ(scalar.error().message,
            "records: JSON Pointer \"/n\" names a number, not an array or object");
  auto invalid = Extract(Source(Format::kJson, "", fields), Input(R"({"a": [1, 2,]})"));
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().error_class, ErrorClass::kSourceBroken);
  EXPECT_TRUE(invalid.error().message.starts_with("invalid JSON: ")) << invalid.error().message;
  EXPECT_NE(invalid.error().message.find("column 13"), std::string::npos)
      << invalid.error().message;
  // The quotes.toscrape corpus has this shape: two arrays back to back.
  auto concatenated = Extract(Source(Format::kJson, "", fields), Input("[1][2]"));
  EXPECT_FALSE(concatenated.ok());
}

TEST(ExtractTest, EmptyAndUnknownFormats) {
  auto empty = Extract(Source(Format::kHtml, "p", {}), Input(" \n"));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message, "the document is empty");
  auto feed = Extract(Source(Format::kAuto, "", {}),
                      Input("<html><body>login</body></html>", "application/rss+xml"));
  ASSERT_FALSE(feed.ok());
  EXPECT_EQ(feed.error().message,
            "document detected as feed (Content-Type \"application/rss+xml\"): not a feed: the "
            "root element is <html>, expected <rss>, <rdf:RDF> or <feed>");
}

TEST(ExtractTest, AutoFormatFollowsTheDocument) {
  const auto source = Source(Format::kAuto, "li.item", {Field("name", "span.name")});
  auto html = Extract(source, Input(kShop));
  ASSERT_TRUE(html.ok()) << html.error().message;
  EXPECT_EQ(html->format, Format::kHtml);
  EXPECT_EQ(html->records.size(), 5u);
  auto json = Extract(source, Input(R"({"a":1})", "application/json"));
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.error().message,
            "document detected as json (Content-Type \"application/json\"): invalid source "
            "definition: source.records: a JSON Pointer must be empty or start with \"/\": "
            "\"li.item\" (or use a JSONPath query starting with \"$\"); "
            "source.fields.name.select: a JSON Pointer must be empty or start with "
            "\"/\": \"span.name\" (or use a JSONPath query starting with \"$\")");
}

TEST(ExtractTest, AutoReadsFeedsAndCsvServedUnderGenericTypes) {
  constexpr std::string_view kRss =
      "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>c</title>"
      "<item><title>One</title><link>http://x/1</link></item>"
      "<item><title>Two</title><link>http://x/2</link></item></channel></rss>";
  // A feed definition (no records selector, no fields): items, though served as text/xml.
  auto feed = Extract(Source(Format::kAuto, "", {}), Input(kRss, "text/xml"));
  ASSERT_TRUE(feed.ok()) << feed.error().message;
  EXPECT_EQ(feed->format, Format::kFeed);
  ASSERT_EQ(feed->records.size(), 2u);
  EXPECT_EQ(feed->records[1].fields.at("title"), "Two");
  // A definition written in XPath for the same document stays XML.
  auto xml = Extract(Source(Format::kAuto, "xpath://item", {Field("t", "xpath:title")}),
                     Input(kRss, "text/xml"));
  ASSERT_TRUE(xml.ok()) << xml.error().message;
  EXPECT_EQ(xml->format, Format::kXml);
  EXPECT_EQ(xml->records.size(), 2u);
  // CSV served as text/plain: one record per row, a field per column.
  auto csv = Extract(Source(Format::kAuto, "", {}, {"code"}),
                     Input("code,name\n004,Afghanistan\n008,Albania\n", "text/plain"));
  ASSERT_TRUE(csv.ok()) << csv.error().message;
  EXPECT_EQ(csv->format, Format::kCsv);
  ASSERT_EQ(csv->records.size(), 2u);
  EXPECT_EQ(csv->records[1].fields.at("name"), "Albania");
}

TEST(DetectFormatTest, FromContentType) {
  EXPECT_EQ(DetectFormat("text/html; charset=utf-8", "{"), Format::kHtml);
  EXPECT_EQ(DetectFormat("Application/XHTML+XML", ""), Format::kHtml);
  EXPECT_EQ(DetectFormat("application/json", "<html>"), Format::kJson);
  EXPECT_EQ(DetectFormat("application/ld+json", ""), Format::kJson);
  EXPECT_EQ(DetectFormat("application/feed+json", ""), Format::kFeed);
  EXPECT_EQ(DetectFormat("text/csv", ""), Format::kCsv);
  EXPECT_EQ(DetectFormat("application/rss+xml", ""), Format::kFeed);
  EXPECT_EQ(DetectFormat("application/atom+xml; charset=utf-8", ""), Format::kFeed);
  EXPECT_EQ(DetectFormat("application/xml", ""), Format::kXml);
  EXPECT_EQ(DetectFormat("text/xml", ""), Format::kXml);
  // Generic types are narrowed by the content: feeds served as XML or JSON, CSV as text.
  EXPECT_EQ(DetectFormat("text/xml", "<?xml version=\"1.0\"?>\n<rss version=\"2.0\">"),
            Format::kFeed);
  EXPECT_EQ(DetectFormat("application/xml", "<feed xmlns=\"http://www.w3.org/2005/Atom\">"),
            Format::kFeed);
  EXPECT_EQ(DetectFormat("text/xml", "<catalog><item/></catalog>"), Format::kXml);
  EXPECT_EQ(DetectFormat("application/json",
                         R"({"version": "https://jsonfeed.org/version/1.1", "items": []})"),
            Format::kFeed);
  EXPECT_EQ(DetectFormat("application/json", R"({"version": "2", "items": []})"), Format::kJson);
  EXPECT_EQ(DetectFormat("text/plain", "code,name\n004,Afghanistan\n008,Albania\n"), Format::kCsv);
  EXPECT_EQ(DetectFormat("text/plain", "one line, with a comma\nand another\n"), Format::kText);
  // A specific type is never overridden by the content.
  EXPECT_EQ(DetectFormat("text/html", "<rss version=\"2.0\">"), Format::kHtml);
  EXPECT_EQ(DetectFormat("image/svg+xml", ""), Format::kXml);
  EXPECT_EQ(DetectFormat("text/plain", "{}"), Format::kText);
}

TEST(DetectFormatTest, Sniffing) {
  EXPECT_EQ(DetectFormat("", "  {\"a\":1}"), Format::kJson);
  EXPECT_EQ(DetectFormat("application/octet-stream", "\n[1]"), Format::kJson);
  EXPECT_EQ(DetectFormat("", "\xEF\xBB\xBF{}"), Format::kJson);
  EXPECT_EQ(DetectFormat("", "<!DOCTYPE html><html>"), Format::kHtml);
  EXPECT_EQ(DetectFormat("", "<!doctype HTML>"), Format::kHtml);
  EXPECT_EQ(DetectFormat("",
                         "<?xml version=\"1.0\"?>\n<!DOCTYPE html PUBLIC \"-//W3C//DTD "
                         "XHTML 1.0 Strict//EN\" \"x\">\n<html>"),
            Format::kHtml);
  EXPECT_EQ(DetectFormat("", "<!-- hi --><HTML lang=en>"), Format::kHtml);
  EXPECT_EQ(DetectFormat("", "<div>fragment</div>"), Format::kHtml);
  EXPECT_EQ(DetectFormat("", "<?xml version=\"1.0\"?><rss version=\"2.0\">"), Format::kFeed);
  EXPECT_EQ(DetectFormat("", "<feed xmlns=\"http://www.w3.org/2005/Atom\">"), Format::kFeed);
  EXPECT_EQ(DetectFormat("", "<rdf:RDF xmlns:rdf=\"x\">"), Format::kFeed);
  EXPECT_EQ(DetectFormat("", "<?xml version=\"1.0\"?><catalog/>"), Format::kXml);
  EXPECT_EQ(DetectFormat("", "plain words"), Format::kText);
  EXPECT_EQ(DetectFormat("", "a;b;c\n1;2;3\n4;\"5;6\";7\n"), Format::kCsv);
  EXPECT_EQ(DetectFormat("", "{\"version\":\"https://jsonfeed.org/version/1\",\"items\":[]}"),
            Format::kFeed);
  EXPECT_EQ(DetectFormat("", ""), Format::kText);
  std::string utf16 = "\xFF\xFE";
  for (char c : std::string("<html>")) {
    utf16 += c;
    utf16 += '\0';
  }
  EXPECT_EQ(DetectFormat("", utf16), Format::kHtml);
}

std::vector<std::string> Errors(const SourceConfig& source) {
  std::vector<std::string> out;
  for (const auto& e : ValidateSource(source, "sources[0]")) out.push_back(e.ToString());
  return out;
}

TEST(ValidateSourceTest, AcceptsAGoodSource) {
  auto price = Field("price", "p.price_color::text", ValueType::kNumber);
  price.regex = R"(([\d.]+))";
  EXPECT_TRUE(Errors(Source(Format::kHtml, "article.product_pod",
                            {Field("title", "h3 a::attr(title)"), price,
                             Field("x", "xpath:string(.//a/@href)")},
                            {"title"}))
                  .empty());
  EXPECT_TRUE(Errors(Source(Format::kJson, "/items", {Field("t", "/title")}, {"t"})).empty());
}

TEST(ValidateSourceTest, ReportsEveryProblemWithItsPath) {
  auto price = Field("price", "p.price[", ValueType::kNumber);
  auto stock = Field("stock", "p.stock");
  stock.regex = "(\\d+";
  const auto errors = Errors(
      Source(Format::kHtml, "a[b]]",
             {Field("title", "h3 a::attr(title)"), price, stock, Field("when", "xpath://time[")},
             {"title", "sku"}));
  EXPECT_EQ(errors,
            (std::vector<std::string>{
                "sources[0].records: unexpected \"]\" at position 5 in \"a[b]]\"",
                "sources[0].fields.price.select: unexpected end at position 9 in \"p.price[\"",
                "sources[0].fields.when.select: XPath: invalid expression at position 14 in "
                "\"xpath://time[\"",
                "sources[0].fields.stock.regex: invalid regex \"(\\d+\": missing ): (\\d+",
                "sources[0].key[1]: unknown field \"sku\" (fields: title, price, stock, when)"}));
}

TEST(ValidateSourceTest, RecordSelectorsSelectElements) {
  const auto errors = Errors(Source(Format::kHtml, "li::text", {}));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "sources[0].records: a records selector selects elements; ::text and ::attr() belong "
            "in field selectors: \"li::text\"");
}

TEST(ValidateSourceTest, JsonPointers) {
  EXPECT_EQ(Errors(Source(Format::kJson, "items", {Field("t", "/a~2")})),
            (std::vector<std::string>{
                "sources[0].records: a JSON Pointer must be empty or start with \"/\": \"items\" "
                "(or use a JSONPath query starting with \"$\")",
                "sources[0].fields.t.select: invalid escape \"~2\" at position 3 in \"/a~2\" (use "
                "~0 for \"~\" and ~1 for \"/\") (or use a JSONPath query starting with \"$\")"}));
}

TEST(ValidateSourceTest, AutoGuessesTheSelectorLanguage) {
  EXPECT_TRUE(Errors(Source(Format::kAuto, "/items", {Field("t", "/title")})).empty());
  EXPECT_TRUE(Errors(Source(Format::kAuto, "li", {Field("t", "a::text")})).empty());
  EXPECT_EQ(Errors(Source(Format::kAuto, "li", {Field("t", "/title")})),
            (std::vector<std::string>{
                "sources[0].fields.t.select: unexpected \"/\" at position 1 in \"/title\""}));
}

TEST(ValidateSourceTest, RowFormats) {
  EXPECT_TRUE(Errors(Source(Format::kCsv, "", {})).empty());
  EXPECT_EQ(Errors(Source(Format::kCsv, "tr", {})),
            (std::vector<std::string>{"sources[0].records: a csv source has no records selector: "
                                      "every row is a record"}));
  EXPECT_EQ(Errors(Source(Format::kText, "(?P<a>", {})),
            (std::vector<std::string>{
                "sources[0].records: invalid regex \"(?P<a>\": missing ): (?P<a>"}));
}

}  // namespace
}  // namespace tributary::merge::extract
