#include "service/api/record_query.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace tributary::service::api {
namespace {

using nlohmann::json;

json Book(const std::string& title, json price, std::vector<std::string> sources,
          bool conflict = false) {
  json r = {{"key", title},
            {"fields", {{"title", title}, {"price", price}, {"author", {{"name", "A " + title}}}}},
            {"sources", sources},
            {"provenance",
             {{"title", {{"source", sources.front()}}}, {"price", {{"source", sources.front()}}}}}};
  if (price.is_null()) r["fields"].erase("price");
  r["conflicts"] = json::array();
  if (conflict)
    r["conflicts"].push_back({{"field", "price"}, {"values", {{"shop", 1}, {"wh", 2}}}});
  return r;
}

std::vector<json> Books() {
  return {Book("Dune", 9.5, {"shop", "wh"}, true), Book("Emma", 20, {"shop"}),
          Book("Ulysses", 35.25, {"wh"}), Book("Beloved", nullptr, {"wh"}),
          Book("Carrie", 12, {"shop", "wh"})};
}

const std::set<std::string> kKnown = {"title", "price", "author"};

RecordQuery Parse(std::vector<std::string> filters, const char* sort = nullptr,
                  const char* fields = nullptr, const char* limit = nullptr,
                  const std::string* cursor = nullptr) {
  RecordQuery q;
  std::string s = sort ? sort : "";
  std::string f = fields ? fields : "";
  std::string l = limit ? limit : "";
  auto error = ParseRecordQuery(filters, sort ? &s : nullptr, fields ? &f : nullptr,
                                limit ? &l : nullptr, cursor, kKnown, {}, q);
  EXPECT_FALSE(error) << error->parameter << ": " << error->message;
  return q;
}

std::optional<QueryError> ParseError(std::vector<std::string> filters, const char* sort = nullptr,
                                     const char* fields = nullptr, const char* limit = nullptr,
                                     const char* cursor = nullptr) {
  RecordQuery q;
  std::string s = sort ? sort : "";
  std::string f = fields ? fields : "";
  std::string l = limit ? limit : "";
  std::string c = cursor ? cursor : "";
  return ParseRecordQuery(filters, sort ? &s : nullptr, fields ? &f : nullptr, limit ? &l : nullptr,
                          cursor ? &c : nullptr, kKnown, {}, q);
}

std::vector<std::string> Keys(const QueryPage& page) {
  std::vector<std::string> keys;
  for (const auto* r : page.records) keys.push_back((*r)["key"]);
  return keys;
}

using Keys_t = std::vector<std::string>;

TEST(RecordQueryTest, NumericComparisons) {
  const auto books = Books();
  EXPECT_EQ(Keys(RunRecordQuery(Parse({"price<20"}), books)), (Keys_t{"Carrie", "Dune"}));
  EXPECT_EQ(Keys(RunRecordQuery(Parse({"price<=20"}), books)), (Keys_t{"Carrie", "Dune", "Emma"}));
  EXPECT_EQ(Keys(RunRecordQuery(Parse({"price>20"}), books)), (Keys_t{"Ulysses"}));
  EXPECT_EQ(Keys(RunRecordQuery(Parse({"price>=35.25"}), books)), (Keys_t{"Ulysses"}));
  EXPECT_EQ(Keys(RunRecordQuery(Parse({"price=12"}), books)), (Keys_t{"Carrie"}));
  // A missing price is "not 12" but never less or greater than anything.
  EXPECT_EQ(Keys(RunRecordQuery(Parse({"price!=12"}), books)),
            (Keys_t{"Beloved", "Dune", "Emma", "Ulysses"}));
  EXPECT_EQ(Keys(RunRecordQuery(Parse({"price=null"}), books)), (Keys_t{"Beloved"}));
}

TEST(RecordQueryTest, TextSubstringInAndNestedFields) {
  const auto books = Books();
  EXPECT_EQ(Keys(RunRecordQuery(Parse({"title~LYS"}), books)), (Keys_t{"Ulysses"}));
  EXPECT_EQ(Keys(RunRecordQuery(Parse({"title in Emma, Dune,\"No, such\""}), books)),
            (Keys_t{"Dune", "Emma"}));
  EXPECT_EQ(Keys(RunRecordQuery(Parse({"author.name=A Emma"}), books)), (Keys_t{"Emma"}));
  EXPECT_EQ(Keys(RunRecordQuery(Parse({"title>D", "title<F"}), books)), (Keys_t{"Dune", "Emma"}));
  EXPECT_EQ(Keys(RunRecordQuery(Parse({"key=Dune"}), books)), (Keys_t{"Dune"}));
}

TEST(RecordQueryTest, SourcesAndHasConflict) {
  const auto books = Books();
  EXPECT_EQ(Keys(RunRecordQuery(Parse({"sources=shop"}), books)),
            (Keys_t{"Carrie", "Dune", "Emma"}));
  EXPECT_EQ(Keys(RunRecordQuery(Parse({"sources!=shop"}), books)), (Keys_t{"Beloved", "Ulysses"}));
  EXPECT_EQ(Keys(RunRecordQuery(Parse({"sources=shop", "sources=wh"}), books)),
            (Keys_t{"Carrie", "Dune"}));
  EXPECT_EQ(Keys(RunRecordQuery(Parse({"has_conflict=true"}), books)), (Keys_t{"Dune"}));
  EXPECT_EQ(RunRecordQuery(Parse({"has_conflict=false"}), books).records.size(), 4u);
}

TEST(RecordQueryTest, SortsByAnyFieldWithMissingValuesLast) {
  const auto books = Books();
  EXPECT_EQ(Keys(RunRecordQuery(Parse({}, "price"), books)),
            (Keys_t{"Dune", "Carrie", "Emma", "Ulysses", "Beloved"}));
  EXPECT_EQ(Keys(RunRecordQuery(Parse({}, "-price"), books)),
            (Keys_t{"Ulysses", "Emma", "Carrie", "Dune", "Beloved"}));
  EXPECT_EQ(Keys(RunRecordQuery(Parse({}, "-title"), books)),
            (Keys_t{"Ulysses", "Emma", "Dune", "Carrie", "Beloved"}));
}

TEST(RecordQueryTest, CursorPagesVisitEveryRecordOnceInSortOrder) {
  const auto books = Books();
  for (const char* sort : {"price", "-price", "title", "-has_conflict,price"}) {
    std::vector<std::string> seen;
    std::optional<std::string> cursor;
    for (int i = 0; i < 10; ++i) {
      auto q = Parse({}, sort, nullptr, "2", cursor ? &*cursor : nullptr);
      auto page = RunRecordQuery(q, books);
      EXPECT_LE(page.records.size(), 2u);
      for (const auto& k : Keys(page)) seen.push_back(k);
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    EXPECT_EQ(seen, Keys(RunRecordQuery(Parse({}, sort), books))) << sort;
  }
}

TEST(RecordQueryTest, CursorIsStableWhenRecordsChangeBetweenPages) {
  auto books = Books();
  auto first = RunRecordQuery(Parse({}, "price", nullptr, "2"), books);
  ASSERT_EQ(Keys(first), (Keys_t{"Dune", "Carrie"}));
  // Between pages: a cheaper book appears (before the cursor), Carrie leaves, a dearer one comes.
  books.push_back(Book("Alpha", 1, {"shop"}));
  books.erase(
      std::find_if(books.begin(), books.end(), [](const json& r) { return r["key"] == "Carrie"; }));
  books.push_back(Book("Zed", 25, {"shop"}));
  auto second = RunRecordQuery(Parse({}, "price", nullptr, "10", &*first.next_cursor), books);
  EXPECT_EQ(Keys(second), (Keys_t{"Emma", "Zed", "Ulysses", "Beloved"}));
}

TEST(RecordQueryTest, ProjectionNarrowsFieldsProvenanceAndConflicts) {
  const auto books = Books();
  auto q = Parse({}, nullptr, "title");
  json p = Project(q, books[0]);
  EXPECT_EQ(p["fields"], json({{"title", "Dune"}}));
  EXPECT_EQ(p["provenance"].size(), 1u);
  EXPECT_TRUE(p["conflicts"].empty());
  EXPECT_EQ(p["key"], "Dune");
  EXPECT_EQ(p["sources"], json({"shop", "wh"}));
}

TEST(RecordQueryTest, InvalidParametersNameTheParameter) {
  auto e = ParseError({"price"});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->parameter, "filter");
  EXPECT_NE(e->message.find("expected <field><op><value>"), std::string::npos);

  e = ParseError({"prcie<3"});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->parameter, "filter");
  EXPECT_NE(e->message.find("did you mean \"price\"?"), std::string::npos) << e->message;

  e = ParseError({}, "-price,,title");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->parameter, "sort");

  e = ParseError({}, "price,price");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->parameter, "sort");

  e = ParseError({}, nullptr, "titel");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->parameter, "fields");

  e = ParseError({}, nullptr, nullptr, "0");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->parameter, "limit");
  EXPECT_NE(e->message.find("between 1 and 1000"), std::string::npos);

  e = ParseError({}, nullptr, nullptr, nullptr, "%%%");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->parameter, "cursor");

  e = ParseError({"title in "});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->parameter, "filter");
}

TEST(RecordQueryTest, CursorIsBoundToItsSort) {
  const auto books = Books();
  auto page = RunRecordQuery(Parse({}, "price", nullptr, "1"), books);
  ASSERT_TRUE(page.next_cursor);
  auto e = ParseError({}, "-price", nullptr, nullptr, page.next_cursor->c_str());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->parameter, "cursor");
  EXPECT_NE(e->message.find("sort=price"), std::string::npos) << e->message;
}

}  // namespace
}  // namespace tributary::service::api
