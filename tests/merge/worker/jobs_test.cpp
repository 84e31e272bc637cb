// The extract job's messages, both sides: the worker's reply carries the records as its body
// (JSON text), and the daemon's ParseExtractReply reads them back, or says why it cannot.
#include "merge/worker/jobs.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "common/json_text.hpp"
#include "common/packed_text.hpp"
#include "config/loader.hpp"
#include "tests/support/packed.hpp"

namespace tributary::merge::worker {
namespace {

using nlohmann::json;

config::SourceConfig Source() {
  std::vector<config::ConfigError> errors;
  auto source = config::ParseSource(
      json::parse(R"j({"id": "books", "url": "https://example.com/list", "format": "html",
          "records": "li", "key": "title",
          "fields": {"title": "a::text",
                     "href": {"select": "a::attr(href)", "type": "url"},
                     "price": {"select": "span::text", "type": "number"}}})j"),
      "source", errors);
  for (const auto& e : errors) ADD_FAILURE() << e.ToString();
  return source.value_or(config::SourceConfig{});
}

const char* kPage =
    "<ul><li><a href='/dune'>Dune</a><span>£9.50</span></li>"
    "<li><a href='/emma'>Emma \xff</a><span>12</span></li></ul>";

// The request is written as text around the definition the config keeps as text.
TEST(ExtractJob, TheRequestIsTheDefinitionWithTheDocumentsTypeAndUrl) {
  const config::SourceConfig source = Source();
  const json request = json::parse(
      MakeExtractRequest(source, "text/html; charset=\"utf-8\"", "https://example.com/\xff?q"));
  EXPECT_EQ(request, (json{{"job", "extract"},
                           {"source", json::parse(source.definition)},
                           {"content_type", "text/html; charset=\"utf-8\""},
                           {"final_url", "https://example.com/\xef\xbf\xbd?q"}}));
}

TEST(ExtractJob, RecordsTravelInTheBodyAndAreReadBack) {
  const JobReply reply =
      HandleJob(json::parse(MakeExtractRequest(Source(), "text/html; charset=utf-8",
                                               "https://example.com/list")),
                kPage);
  ASSERT_TRUE(reply.meta.value("ok", false)) << reply.meta.dump();
  EXPECT_FALSE(reply.meta.contains("records"));  // the meta stays small
  EXPECT_EQ(reply.meta["stats"]["candidates"], 2);
  // The body: each record's key as a JSON string, then its fields' canonical text.
  PackedReader in(reply.body);
  std::string_view key, fields;
  ASSERT_TRUE(in.Text(key) && in.Text(fields));
  EXPECT_EQ(key, "\"Dune\"");
  EXPECT_EQ(fields, R"({"href":"https://example.com/dune","price":9.5,"title":"Dune"})");

  EXPECT_EQ(reply.meta["record_count"], 2);

  auto parsed = ParseExtractReply(json(reply.meta), reply.body);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->format, "html");
  ASSERT_EQ(parsed->records.size(), 2u);
  const auto& dune = parsed->records[0];
  EXPECT_EQ(dune.key, "Dune");
  // Held as text, read into a tree on demand.
  EXPECT_TRUE(dune.fields.is_discarded());
  EXPECT_EQ(FieldsTreeOf(dune).at("href"), "https://example.com/dune");
  EXPECT_EQ(FieldsTreeOf(dune).at("price"), 9.5);
  EXPECT_EQ(parsed->records[1].key, "Emma \xef\xbf\xbd");  // the charset converter replaced it
  for (const auto& r : parsed->records) {
    EXPECT_EQ(r.fields_text, CanonicalJson(FieldsTreeOf(r))) << r.key;
    EXPECT_EQ(r.fields_text_hash, FieldsTextHash(r.fields_text)) << r.key;
  }
  EXPECT_EQ(parsed->stats.at("candidates"), 2);
}

TEST(ExtractJob, PackedRecordsReplaceInvalidUtf8AndComeBackWithTheirText) {
  std::vector<Record> records(2);
  records[0].key = "bad \xff key";
  records[0].fields = {{"title", "bad \xc3 value"}, {"n", 3}, {"list", {1.5, nullptr, "x"}}};
  records[1].key = "[\"Dune\",\"1965\"]";  // a composite key is text like any other
  records[1].fields = json::object();
  const std::string body = PackRecords(records);
  auto parsed = ParseExtractReply(json{{"ok", true}, {"record_count", 2}}, body);
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->records.size(), 2u);
  EXPECT_EQ(parsed->records[0].key, "bad \xef\xbf\xbd key");
  EXPECT_EQ(FieldsTreeOf(parsed->records[0]).at("title"), "bad \xef\xbf\xbd value");
  EXPECT_EQ(parsed->records[0].fields_text, R"({"list":[1.5,null,"x"],"n":3,"title":"bad )"
                                            "\xef\xbf\xbd"
                                            R"( value"})");
  EXPECT_EQ(parsed->records[1].key, records[1].key);
  EXPECT_EQ(parsed->records[1].fields_text, "{}");
}

TEST(ExtractJob, AReplyWithoutReadableRecordsIsAPermanentProtocolError) {
  const auto reply = [](size_t count) {
    return json{{"ok", true}, {"format", "html"}, {"record_count", count}};
  };
  using test_util::Packed;
  const std::vector<std::tuple<std::string, size_t, std::string>> bad = {
      {Packed({"\"Dune\""}), 1, "record 0 of the extract reply is cut short or malformed"},
      {Packed({"\"Dune\"", "{}", "\"x\""}), 2,
       "record 1 of the extract reply is cut short or malformed"},
      {"not packed", 1, "record 0 of the extract reply is cut short or malformed"},
      {Packed({"1", "{}"}), 1, "record 0 of the extract reply has no key string"},
      {Packed({"\"Dune\"", "[]"}), 1, "record 0 of the extract reply has no object of fields"},
      {Packed({"\"Dune\"", "{\"}"}), 1,
       "record 0 of the extract reply has no object of fields: byte 3: unterminated string"},
      {Packed({"\"Dune\"", " {}"}), 1, "record 0 of the extract reply has no object of fields"},
      {Packed({"\"Dune\"", std::string("{}\0}", 4)}), 1,
       "record 0 of the extract reply has no object of fields"},
      {Packed({"\"Dune\"", "{}"}), 2, "the extract reply has 1 records instead of 2"},
      {"", 1, "the extract reply has 0 records instead of 1"},
  };
  for (const auto& [body, count, why] : bad) {
    auto parsed = ParseExtractReply(reply(count), body);
    ASSERT_FALSE(parsed) << body;
    EXPECT_EQ(parsed.error().error_class, ErrorClass::kPermanent);
    EXPECT_EQ(parsed.error().message, "worker protocol: " + why);
  }
  auto no_count = ParseExtractReply(json{{"ok", true}}, "");
  ASSERT_FALSE(no_count);
  EXPECT_EQ(no_count.error().message, "worker protocol: the extract reply has no record_count");
  auto empty = ParseExtractReply(reply(0), "");
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_TRUE(empty->records.empty());
}

// The fill ratios count a field filled unless it is null, "" or []: a record held as text
// (read from a reply) and the same record as a tree give the same counts, and a text the
// member reader is unsure of (an escaped name) is parsed instead.
TEST(ExtractJob, FilledFieldsAreCountedTheSameFromTextAndTree) {
  std::vector<Record> records(3);
  records[0].fields = {{"a", nullptr}, {"b", ""},  {"c", json::array()}, {"d", 0},
                       {"e", false},   {"f", "x"}, {"g", {nullptr}},     {"h", json::object()}};
  records[1].fields = {{"a", "y"}, {"b", " "}};
  records[2].fields = {{"tab\there", ""}, {"été", "x"}, {"n\"q", 1}};
  auto parsed = ParseExtractReply(json{{"ok", true}, {"record_count", 3}}, PackRecords(records));
  ASSERT_TRUE(parsed) << parsed.error().message;
  const auto count = [](const Record& r) {
    std::map<std::string, bool> out;
    ForEachFieldFilled(r, [&out](std::string_view name, bool filled) {
      EXPECT_TRUE(out.emplace(std::string(name), filled).second) << name;
    });
    return out;
  };
  using Filled = std::map<std::string, bool>;
  EXPECT_EQ(count(records[0]), (Filled{{"a", false},
                                       {"b", false},
                                       {"c", false},
                                       {"d", true},
                                       {"e", true},
                                       {"f", true},
                                       {"g", true},
                                       {"h", true}}));
  EXPECT_EQ(count(records[1]), (Filled{{"a", true}, {"b", true}}));
  EXPECT_EQ(count(records[2]), (Filled{{"tab\there", false}, {"été", true}, {"n\"q", true}}));
  for (size_t i = 0; i < records.size(); ++i) {
    ASSERT_TRUE(parsed->records[i].fields.is_discarded());
    EXPECT_EQ(count(parsed->records[i]), count(records[i])) << i;
  }
}

TEST(ExtractJob, AnErrorReplyKeepsItsClassAndMessage) {
  auto failed = ParseExtractReply(
      json{{"ok", false}, {"error", {{"class", "permanent"}, {"message", "bad source"}}}}, "");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().error_class, ErrorClass::kPermanent);
  EXPECT_EQ(failed.error().message, "bad source");
}

}  // namespace
}  // namespace tributary::merge::worker
