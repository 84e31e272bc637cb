// The formats beyond HTML and JSON Pointers: XML, feeds, JSONPath, CSV, text; character sets,
// field transforms, bounds and next-page links. Sources are written as users write them (JSON)
// and go through the configuration loader, as in the daemon.
#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "merge/extract/extractor.hpp"

namespace tributary::merge::extract {
namespace {

using config::Format;
using nlohmann::json;

config::SourceConfig Source(const std::string& definition) {
  std::vector<config::ConfigError> errors;
  json j = json::parse(definition);
  j["id"] = "test";
  j["url"] = "https://example.com/feed";
  auto source = config::ParseSource(j, "source", errors);
  std::string all;
  for (const auto& e : errors) all += e.ToString() + "\n";
  EXPECT_TRUE(source.has_value()) << all;
  auto problems = ValidateSource(*source, "source");
  for (const auto& e : problems) ADD_FAILURE() << e.ToString();
  return *source;
}

ExtractOutput Extracted(const config::SourceConfig& source, std::string_view body,
                        std::string content_type = "",
                        std::string url = "https://example.com/dir/page.html") {
  auto out = Extract(source, {body, std::move(content_type), std::move(url)});
  EXPECT_TRUE(out.ok()) << out.error().message;
  return out.ok() ? std::move(*out) : ExtractOutput{};
}

json Fields(const ExtractOutput& out) {
  json all = json::array();
  for (const auto& r : out.records) all.push_back(r.fields);
  return all;
}

TEST(XmlTest, XPathWithConfiguredNamespaces) {
  const auto source = Source(R"j({"format": "xml", "key": "currency",
    "namespaces": {"e": "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"},
    "records": "//e:Cube[@currency]",
    "fields": {"currency": "@currency", "rate": {"select": "@rate", "type": "number"},
               "date": {"select": "../@time", "type": "date"}}})j");
  const auto out = Extracted(source, R"j(<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
                 xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <Cube><Cube time='2018-06-11'>
    <Cube currency='USD' rate='1.1790'/><Cube currency='JPY' rate='129.71'/>
  </Cube></Cube></gesmes:Envelope>)j");
  EXPECT_EQ(out.format, Format::kXml);
  EXPECT_EQ(Fields(out), json::parse(R"j([
    {"currency": "USD", "rate": 1.179, "date": "2018-06-11T00:00:00Z"},
    {"currency": "JPY", "rate": 129.71, "date": "2018-06-11T00:00:00Z"}])j"));
}

TEST(XmlTest, UnknownPrefixIsAConfigurationError) {
  config::SourceConfig source;
  source.id = "x";
  source.format = Format::kXml;
  source.records = "//atom:entry";
  const auto errors = ValidateSource(source, "sources[0]");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "sources[0].records");
}

TEST(XmlTest, NotXmlIsAClearError) {
  const auto source = Source(R"j({"format": "xml", "key": "a", "fields": {"a": "//a"}})j");
  auto out = Extract(source, {"just text, no markup", "", ""});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().error_class, ErrorClass::kSourceBroken);
  EXPECT_TRUE(out.error().message.starts_with("the document is not XML: ")) << out.error().message;
}

TEST(FeedTest, Rss2ItemsNormalised) {
  const auto source = Source(R"j({"format": "feed"})j");
  const auto out = Extracted(source, R"j(<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>News</title><link>https://example.com/</link>
<item><title>First</title><link>/posts/1</link><guid isPermaLink="false">p1</guid>
  <pubDate>Tue, 02 Mar 2021 23:39:15 +0100</pubDate><author>jo@example.com (Jo Doe)</author>
  <category>a</category><category>b</category><description><![CDATA[<p>Hi</p>]]></description>
  <content:encoded>full text</content:encoded>
  <enclosure url="ep1.mp3" type="audio/mpeg" length="123"/></item>
<item xml:base="https://other.example/blog/"><title>No guid</title><link>second</link>
  <dc:date>2021-02-13</dc:date><dc:creator>Ann</dc:creator></item>
<item><description>only text</description></item>
</channel></rss>)j",
                             "application/rss+xml", "https://example.com/feed.xml");
  ASSERT_EQ(out.records.size(), 3u);
  const auto& first = out.records[0].fields;
  EXPECT_EQ(out.records[0].key, "p1");
  EXPECT_EQ(first["title"], "First");
  EXPECT_EQ(first["link"], "https://example.com/posts/1");
  EXPECT_EQ(first["published"], "2021-03-02T22:39:15Z");
  EXPECT_EQ(first["authors"],
            json::parse(R"j([{"name":"Jo Doe","email":"jo@example.com","uri":null}])j"));
  EXPECT_EQ(first["categories"], json({"a", "b"}));
  EXPECT_EQ(first["summary"], "<p>Hi</p>");
  EXPECT_EQ(first["content"], "full text");
  EXPECT_EQ(
      first["enclosures"],
      json::parse(R"j([{"url":"https://example.com/ep1.mp3","type":"audio/mpeg","length":123}])j"));
  // Relative links resolve against xml:base; a missing guid falls back to the link.
  EXPECT_EQ(out.records[1].key, "https://other.example/blog/second");
  EXPECT_EQ(out.records[1].fields["authors"][0]["name"], "Ann");
  EXPECT_EQ(out.records[1].fields["published"], "2021-02-13T00:00:00Z");
  // Without guid or link: a stable hash, the same on every run.
  EXPECT_TRUE(out.records[2].key.starts_with("urn:tributary:item:"));
  const auto again = Extracted(source, R"j(<rss><channel><item><description>only text</description>
    </item></channel></rss>)j");
  EXPECT_EQ(again.records[0].key, out.records[2].key);
}

TEST(FeedTest, AtomAndJsonFeedWithSelectedFields) {
  const auto source = Source(R"j({"format": "feed", "key": "id",
    "fields": {"id": "id", "title": {"select": "title", "uppercase": true},
               "author": "/authors/0/name", "tags": {"select": "categories", "join": "|"}}})j");
  const auto atom = Extracted(source, R"j(<feed xmlns="http://www.w3.org/2005/Atom">
    <title>T</title><entry><id>urn:1</id><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">A <b>b</b></div></title>
    <author><name>Ann</name></author><category term="x"/><category term="y"/>
    <updated>2003-12-13T18:30:02Z</updated></entry></feed>)j");
  EXPECT_EQ(Fields(atom),
            json::parse(R"j([{"id":"urn:1","title":"A <B>B</B>","author":"Ann","tags":"x|y"}])j"));
  const auto feed = Extracted(source, R"j({"version": "https://jsonfeed.org/version/1.1", "items": [
    {"id": 7, "title": "j", "authors": [{"name": "Bo"}], "tags": ["t"]}]})j");
  EXPECT_EQ(Fields(feed), json::parse(R"j([{"id":"7","title":"J","author":"Bo","tags":"t"}])j"));
}

TEST(JsonPathSourceTest, RecordsAndFields) {
  const auto source = Source(R"j({"format": "json", "records": "$.data[?@.active == true]",
    "key": "id", "fields": {"id": "$.id", "names": {"select": "$.names[*]", "multiple": true},
                            "first": "$.names"}})j");
  const auto out = Extracted(source, R"j({"data": [{"id": 1, "active": true, "names": ["a", "b"]},
                                            {"id": 2, "active": false},
                                            {"id": 3, "active": true, "names": []}]})j");
  EXPECT_EQ(Fields(out), json::parse(R"j([{"id":"1","names":["a","b"],"first":["a","b"]},
                                         {"id":"3","first":[]}])j"));
}

TEST(CsvTest, Rfc4180WithHeaderQuotesAndNewlines) {
  const auto source = Source(R"j({"format": "csv", "key": "code"})j");
  const auto out =
      Extracted(source,
                "\xEF\xBB\xBF\"code\",\"name\",\"note\"\r\nAD,Andorra,\"say \"\"hi\"\"\"\r\n"
                "\r\nBE,Belgium,\"two\nlines\"\r\ncode,name,note\r\nCH,Switzerland\r\n");
  EXPECT_EQ(Fields(out), json::parse(R"j([
    {"code":"AD","name":"Andorra","note":"say \"hi\""},
    {"code":"BE","name":"Belgium","note":"two lines"},
    {"code":"CH","name":"Switzerland"}])j"));
}

TEST(CsvTest, ColumnsDelimiterEncodingAndTypes) {
  const auto source = Source(R"j({"format": "csv", "key": "name", "encoding": "iso-8859-1",
    "csv": {"delimiter": ";", "header": false, "columns": ["name", "price"]},
    "fields": {"name": "name", "price": {"select": "price", "type": "number"}}})j");
  const auto out = Extracted(source, "Caf\xE9;\"1.234,50 \x80\"\nTh\xE9;3\n");
  EXPECT_EQ(out.charset, "WINDOWS-1252");
  EXPECT_EQ(Fields(out),
            json::parse(R"j([{"name":"Café","price":1234.5},{"name":"Thé","price":3}])j"));
}

TEST(CsvTest, UnterminatedQuoteIsAnError) {
  const auto source = Source(R"j({"format": "csv", "key": "a"})j");
  auto out = Extract(source, {"a,b\n1,\"open\n2,3\n", "", ""});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "CSV: unterminated quoted field starting at line 2");
}

TEST(TextTest, NamedGroupsBecomeFields) {
  const auto source = Source(R"j({"format": "text", "key": "id",
    "records": "(?m)^(?P<id>\\d+) (?P<level>[A-Z]+) (?P<message>.*)$"})j");
  const auto out = Extracted(source, "1 INFO started\nnoise\n2 WARN disk at 91%\n", "text/plain");
  EXPECT_EQ(Fields(out), json::parse(R"j([{"id":"1","level":"INFO","message":"started"},
                                         {"id":"2","level":"WARN","message":"disk at 91%"}])j"));
  const auto lines = Extracted(Source(R"j({"format": "text", "key": "line"})j"), "a\n\n b \n");
  EXPECT_EQ(Fields(lines), json::parse(R"j([{"line":"a"},{"line":"b"}])j"));
}

TEST(CharsetTest, HeaderBomMetaAndXmlDeclaration) {
  const auto html = Source(R"j({"format": "html", "key": "t", "fields": {"t": "p"}})j");
  // <meta charset> when the header says nothing.
  EXPECT_EQ(Fields(Extracted(html, "<meta charset=\"iso-8859-1\"><p>caf\xE9</p>"))[0]["t"], "café");
  // The header wins over <meta>.
  EXPECT_EQ(Fields(Extracted(html, "<meta charset=\"koi8-r\"><p>caf\xE9</p>",
                             "text/html; charset=latin1"))[0]["t"],
            "café");
  // A BOM wins over both (UTF-16 LE here).
  const std::string utf16("\xFF\xFE<\0p\0>\0\xE9\0<\0/\0p\0>\0", 18);
  EXPECT_EQ(Fields(Extracted(html, utf16, "text/html; charset=iso-8859-2"))[0]["t"], "é");
  // Invalid UTF-8 is replaced, never a failure.
  EXPECT_EQ(Fields(Extracted(html, "<meta charset=utf-8><p>a\xC3(b</p>"))[0]["t"],
            "a\xEF\xBF\xBD(b");
  const auto xml = Source(R"j({"format": "xml", "key": "t", "fields": {"t": "//t"}})j");
  EXPECT_EQ(Fields(Extracted(
                xml, "<?xml version='1.0' encoding='windows-1252'?><r><t>\x80</t></r>"))[0]["t"],
            "€");
}

TEST(TransformTest, MapSplitCaseDatesAndWhitespace) {
  const auto source = Source(R"j({"format": "html", "records": "li", "key": "name", "fields": {
    "name": {"select": "b", "lowercase": true},
    "stars": {"select": "::attr(class)", "regex": "star-rating (\\w+)",
              "map": {"One": 1, "Two": 2, "Three": 3}, "type": "integer"},
    "tags": {"select": "i", "split": ",", "uppercase": true},
    "when": {"select": "s", "type": "date", "date_format": ["%d/%m/%Y %H:%M", "%Y%m%d"]},
    "raw": {"select": "pre::text", "collapse": false}}})j");
  const auto out = Extracted(source, R"j(<ul>
    <li class="star-rating Two"><b>ÀBC</b><i>x, y,,z</i><s>03/02/2024 10:30</s><pre> a
  b </pre></li>
    <li class="star-rating Five"><b>Déf</b><s>20240102</s></li></ul>)j");
  EXPECT_EQ(Fields(out), json::parse(R"j([
    {"name":"àbc","stars":2,"tags":["X","Y","Z"],"when":"2024-02-03T10:30:00Z","raw":"a\n  b"},
    {"name":"déf","when":"2024-01-02T00:00:00Z"}])j"));
  EXPECT_EQ(out.stats.invalid.at("stars"), 1u);  // "Five" is not in the map, not an integer
}

TEST(BoundsTest, DepthNodesAndRecordsAreClearErrors) {
  const auto json_source = Source(R"j({"format": "json", "key": "a", "fields": {"a": "/a"},
                                      "bounds": {"max_depth": 50, "max_records": 2}})j");
  auto deep = Extract(json_source, {std::string(100, '[') + std::string(100, ']'), "", ""});
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().message,
            "document nested too deeply: more than 50 levels (bounds.max_depth)");
  auto many = Extract(json_source, {R"j([{"a":1},{"a":2},{"a":3}])j", "", ""});
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error().message, "the document has 3 records, more than 2 (bounds.max_records)");
  const auto html_source = Source(R"j({"format": "html", "key": "a", "fields": {"a": "dd"},
                                      "bounds": {"max_depth": 100}})j");
  std::string nested;
  for (int i = 0; i < 25000; ++i) nested += "<dl><dd>";
  auto html = Extract(html_source, {nested, "", ""});
  ASSERT_FALSE(html.ok());
  EXPECT_EQ(html.error().message,
            "document nested too deeply: more than 100 levels (bounds.max_depth)");
  const auto nodes = Source(R"j({"format": "csv", "key": "a", "bounds": {"max_nodes": 5}})j");
  auto csv = Extract(nodes, {"a,b\n1,2\n3,4\n", "", ""});
  ASSERT_FALSE(csv.ok());
  EXPECT_EQ(csv.error().message, "document too large: more than 5 nodes (bounds.max_nodes)");
}

TEST(PaginationTest, NextLinksAndCursors) {
  const auto html = Source(R"j({"format": "html", "records": "p", "key": "t", "fields": {"t": "p"},
    "pagination": {"next": "li.next a::attr(href)"}})j");
  EXPECT_EQ(
      Extracted(html, R"j(<p>x</p><ul><li class="next"><a href="page-3.html">next</a></li></ul>)j",
                "", "http://books.example/catalogue/page-2.html")
          .next_url,
      "http://books.example/catalogue/page-3.html");
  EXPECT_EQ(Extracted(html, "<p>x</p>").next_url, "");
  const auto api = Source(R"j({"format": "json", "records": "/items", "key": "t",
    "fields": {"t": "/t"}, "pagination": {"cursor": "$.meta.next",
    "cursor_url": "https://api.example/items?after={cursor}", "max_pages": 5}})j");
  EXPECT_EQ(Extracted(api, R"j({"items": [{"t": 1}], "meta": {"next": "a b/c"}})j").next_url,
            "https://api.example/items?after=a%20b%2Fc");
  EXPECT_EQ(Extracted(api, R"j({"items": [{"t": 1}], "meta": {"next": null}})j").next_url, "");
}

// Every parser, on every prefix of a valid document and on documents with one byte changed:
// a result or a clear error, never a crash (ASan runs this too).
TEST(RobustnessTest, TruncatedAndCorruptedInputs) {
  const std::vector<std::pair<config::SourceConfig, std::string>> cases = {
      {Source(R"j({"format": "html", "records": "li", "key": "a", "fields": {"a": "b::text"}})j"),
       "<html><body><ul><li><b>a</b><i>&amp;</i></li><li><b>c</b></li></ul></body></html>"},
      {Source(R"j({"format": "xml", "records": "//i", "key": "a", "fields": {"a": "@a"}})j"),
       "<?xml version='1.0'?><r><i a='1'><![CDATA[x]]></i><i a='2'>&lt;</i></r>"},
      {Source(R"j({"format": "feed"})j"),
       "<rss><channel><item><guid>1</guid><title>t</title></item><item><link>l</link>"
       "</item></channel></rss>"},
      {Source(R"j({"format": "feed"})j"),
       R"j({"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1"}, {"url": "u"}]})j"},
      {Source(R"j({"format": "json", "records": "$.a[*]", "key": "b", "fields": {"b": "$.b"}})j"),
       R"j({"a": [{"b": "x\u00e9"}, {"b": [1, 2.5e3, true, null]}]})j"},
      {Source(R"j({"format": "csv", "key": "a"})j"), "a,b\n\"1\"\"\",2\n3,\"4\n5\"\n"},
      {Source(R"j({"format": "text", "records": "(?P<a>\\w+)=(?P<b>\\d+)", "key": "a"})j"),
       "x=1 y=22 z=333"},
  };
  for (const auto& [source, document] : cases) {
    for (size_t n = 0; n <= document.size(); ++n) {
      auto out = Extract(source, {std::string_view(document).substr(0, n), "", ""});
      if (!out.ok()) {
        EXPECT_FALSE(out.error().message.empty());
      }
    }
    for (size_t i = 0; i < document.size(); ++i) {
      for (char c : {'\0', '<', '"', '\xC3', '{'}) {
        std::string changed = document;
        changed[i] = c;
        auto out = Extract(source, {changed, "", ""});
        if (!out.ok()) {
          EXPECT_FALSE(out.error().message.empty());
        }
      }
    }
  }
}

}  // namespace
}  // namespace tributary::merge::extract

namespace tributary::merge::extract {
namespace {

std::vector<std::string> ConfigErrors(const std::string& definition) {
  std::vector<config::ConfigError> errors;
  json j = json::parse(definition);
  j["id"] = "s";
  j["url"] = "https://example.com/";
  config::ParseSource(j, "sources[0]", errors);
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.ToString());
  return out;
}

TEST(ExtractionConfigTest, ErrorsSayWhereAndWhy) {
  EXPECT_EQ(ConfigErrors(R"j({"format": "json", "key": "a", "fields": {"a": "/a"},
    "pagination": {"nxet": "/next", "cursor": "/c"}, "health": {"max_drop": "150%"},
    "csv": {"delimiter": ";;"}})j"),
            (std::vector<std::string>{
                "sources[0].csv.delimiter: expected one character (or \"tab\"), got \";;\"",
                "sources[0].health.max_drop: expected a share between 0 and 1 or a percentage "
                "such as \"50%\", got \"150%\"",
                "sources[0].pagination.nxet: unknown key \"nxet\"; did you mean \"next\"?",
                "sources[0].pagination.cursor: a cursor needs \"cursor_url\", a URL template with "
                "{cursor}"}));
  EXPECT_EQ(ConfigErrors(R"j({"format": "html", "key": "a", "fields": {"a": {"select": "b",
    "lowercase": true, "uppercase": true, "date_format": "%Y"}}, "paginaton": {}})j"),
            (std::vector<std::string>{
                "sources[0].paginaton: unknown key \"paginaton\"; did you mean \"pagination\"?",
                "sources[0].fields.a.uppercase: a field cannot be both lowercase and uppercase",
                "sources[0].fields.a.date_format: date_format needs \"type\": \"date\""}));
  // Feeds need neither fields nor a key; CSV and text need no fields.
  EXPECT_TRUE(ConfigErrors(R"j({"format": "feed"})j").empty());
  EXPECT_TRUE(ConfigErrors(R"j({"format": "csv", "key": "code"})j").empty());
  EXPECT_EQ(ConfigErrors(R"j({"format": "html", "key": "a"})j"),
            (std::vector<std::string>{"sources[0]: missing required key \"fields\""}));
}

}  // namespace
}  // namespace tributary::merge::extract
