#include "merge/extract/json_path.hpp"

#include <gtest/gtest.h>

#include "tests/merge/extract/corpus.hpp"

namespace tributary::merge::extract {
namespace {

using nlohmann::json;

json Values(const JsonPath& path, const json& document) {
  json out = json::array();
  for (const json* node : path.Select(document)) out.push_back(*node);
  return out;
}

json Query(std::string_view query, const json& document) {
  auto path = JsonPath::Parse(query);
  EXPECT_TRUE(path.ok()) << query << ": " << path.error().message;
  return path.ok() ? Values(*path, document) : json();
}

const json kStore = json::parse(R"({"store": {"book": [
  {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95},
  {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99},
  {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99},
  {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99}],
  "bicycle": {"color": "red", "price": 399}}})");

TEST(JsonPathTest, RfcExamples) {
  EXPECT_EQ(Query("$.store.book[*].author", kStore),
            json({"Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"}));
  EXPECT_EQ(Query("$..author", kStore).size(), 4u);
  EXPECT_EQ(Query("$.store..price", kStore).size(), 5u);
  EXPECT_EQ(Query("$..book[2].title", kStore), json({"Moby Dick"}));
  EXPECT_EQ(Query("$..book[-1].title", kStore), json({"The Lord of the Rings"}));
  EXPECT_EQ(Query("$..book[0,1].title", kStore),
            json({"Sayings of the Century", "Sword of Honour"}));
  EXPECT_EQ(Query("$..book[:2].title", kStore),
            json({"Sayings of the Century", "Sword of Honour"}));
  EXPECT_EQ(Query("$..book[?@.isbn].title", kStore), json({"Moby Dick", "The Lord of the Rings"}));
  EXPECT_EQ(Query("$..book[?@.price<10].title", kStore),
            json({"Sayings of the Century", "Moby Dick"}));
  EXPECT_EQ(Query("$..book[?match(@.author, 'J.*')].price", kStore), json({22.99}));
  EXPECT_EQ(Query("$..book[?search(@.title, 'of') && count(@.*) == 4].price", kStore),
            json({8.95, 12.99}));
  EXPECT_EQ(Query("$..book[?length(@.title) > 15].price", kStore), json({8.95, 22.99}));
  EXPECT_EQ(Query("$.store.book[::-1].price", kStore), json({22.99, 8.99, 12.99, 8.95}));
}

TEST(JsonPathTest, RejectsInvalidQueriesWithAPosition) {
  for (const char* bad :
       {"", "$.", "$[", "$[1,]", "$..", " $", "$ ", "$[01]", "$[-0]", "$[?@.a == @.*]",
        "$[?length(@.*) == 1]", "$[?count(1) == 1]", "$[?match(@.a)]", "$[?foo(@.a)]", "$[?1]",
        "$[?length(@.a)]", "$['\\q']", "$[9007199254740992]"}) {
    auto path = JsonPath::Parse(bad);
    EXPECT_FALSE(path.ok()) << bad;
  }
  auto path = JsonPath::Parse("$.a[1, 2");
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.error().message,
            "JSONPath: expected \",\" or \"]\" at position 9 in \"$.a[1, 2\"");
}

TEST(JsonPathTest, SingularQueries) {
  EXPECT_TRUE(JsonPath::Parse("$.a[0]['b']")->IsSingular());
  EXPECT_FALSE(JsonPath::Parse("$.a[*]")->IsSingular());
  EXPECT_FALSE(JsonPath::Parse("$..a")->IsSingular());
}

// Deep documents: descendant segments walk iteratively.
TEST(JsonPathTest, DeepDocument) {
  json deep = 1;
  for (int i = 0; i < 5000; ++i) {
    // Moved, not copied: a copy recurses as deep as the document (and overflows under ASan).
    json outer = json::array();
    outer.push_back(std::move(deep));
    deep = std::move(outer);
  }
  EXPECT_EQ(Query("$..[?@ == 1]", deep).size(), 1u);
}

// Truncated queries: every prefix parses or fails cleanly, never crashes.
TEST(JsonPathTest, TruncatedQueries) {
  const std::string query =
      "$..book[?(@.price < 10 && match(@.author, 'N.*')) || !@.isbn]['title', \"x\"][1:-1:2]";
  ASSERT_TRUE(JsonPath::Parse(query).ok());
  for (size_t n = 0; n < query.size(); ++n) {
    auto path = JsonPath::Parse(query.substr(0, n));
    if (path.ok()) Values(*path, kStore);
  }
}

// The official RFC 9535 compliance suite: every test.
TEST(JsonPathTest, ComplianceSuite) {
  const auto dir = testing::CorpusPath("jsonpath_cts");
  if (dir.empty()) GTEST_SKIP() << "corpus not found (set TRIBUTARY_CORPUS)";
  const json suite = json::parse(testing::ReadFile(dir / "cts.json"));
  size_t passed = 0;
  std::vector<std::string> failed;
  for (const auto& test : suite.at("tests")) {
    const std::string name = test.at("name");
    auto path = JsonPath::Parse(test.at("selector").get<std::string>());
    if (test.value("invalid_selector", false)) {
      if (path.ok()) {
        failed.push_back(name + ": accepted an invalid selector");
      } else {
        ++passed;
      }
      continue;
    }
    if (!path.ok()) {
      failed.push_back(name + ": " + path.error().message);
      continue;
    }
    const json got = Values(*path, test.at("document"));
    bool ok = false;
    if (test.contains("result")) {
      ok = got == test.at("result");
    } else {
      for (const auto& option : test.at("results")) ok = ok || got == option;
    }
    if (ok) {
      ++passed;
    } else {
      failed.push_back(name + ": got " + got.dump());
    }
  }
  for (const auto& f : failed) ADD_FAILURE() << f;
  EXPECT_EQ(passed, suite.at("tests").size());
}

}  // namespace
}  // namespace tributary::merge::extract
