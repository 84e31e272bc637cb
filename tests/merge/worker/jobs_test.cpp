// The extract job's messages, both sides: the worker's reply carries the records as its body
// (JSON text), and the daemon's ParseExtractReply reads them back, or says why it cannot.
#include "merge/worker/jobs.hpp"

#include <gtest/gtest.h>

#include "common/json_text.hpp"
#include "common/packed_text.hpp"
#include "config/loader.hpp"

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

TEST(ExtractJob, RecordsTravelInTheBodyAndAreReadBack) {
  const JobReply reply = HandleJob(
      MakeExtractRequest(Source(), "text/html; charset=utf-8", "https://example.com/list"), kPage);
  ASSERT_TRUE(reply.meta.value("ok", false)) << reply.meta.dump();
  EXPECT_FALSE(reply.meta.contains("records"));  // the meta stays small
  EXPECT_EQ(reply.meta["stats"]["candidates"], 2);
  // The body: each record's key as a JSON string, then its fields' canonical text.
  PackedReader in(reply.body);
  std::string_view key, fields;
  ASSERT_TRUE(in.Text(key) && in.Text(fields));
  EXPECT_EQ(key, "\"Dune\"");
  EXPECT_EQ(fields, R"({"href":"https://example.com/dune","price":9.5,"title":"Dune"})");

  auto parsed = ParseExtractReply(json(reply.meta), reply.body);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->format, "html");
  ASSERT_EQ(parsed->records.size(), 2u);
  EXPECT_EQ(parsed->records[0].key, "Dune");
  EXPECT_EQ(parsed->records[0].fields["href"], "https://example.com/dune");
  EXPECT_EQ(parsed->records[0].fields["price"], 9.5);
  EXPECT_EQ(parsed->records[1].key, "Emma \xef\xbf\xbd");  // the invalid byte replaced
  for (const auto& r : parsed->records) {
    EXPECT_EQ(r.fields_text, CanonicalJson(r.fields)) << r.key;
  }
  EXPECT_EQ(parsed->stats["candidates"], 2);
}

TEST(ExtractJob, AReplyWithoutReadableRecordsIsAClearError) {
  const json ok = {{"ok", true}, {"format", "html"}, {"stats", json::object()}};
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"6:\"Dune\"", "malformed after record 0"},
      {"6:\"Dune\"2:{}3:\"x\"", "malformed after record 1"},
      {"not packed", "malformed after record 0"},
      {"1:12:{}", "record 0 is not a key and an object of fields"},
      {"6:\"Dune\"2:[]", "record 0 is not a key and an object of fields"},
      {"6:\"Dune\"3:{\"}", "record 0 is not a key and an object of fields: byte 3"},
  };
  for (const auto& [body, why] : bad) {
    auto parsed = ParseExtractReply(json(ok), body);
    ASSERT_FALSE(parsed) << body;
    EXPECT_NE(parsed.error().message.find(why), std::string::npos) << parsed.error().message;
  }
  auto empty = ParseExtractReply(json(ok), "");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->records.empty());
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
