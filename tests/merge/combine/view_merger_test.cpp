// Merging: joins, strategies, provenance, conflicts under compare options, duplicates.
#include "merge/combine/view_merger.hpp"

#include <gtest/gtest.h>

#include "tests/merge/combine/combine_test_util.hpp"

namespace tributary::merge::combine {
namespace {

using nlohmann::json;
using test_util::Snapshot;
using test_util::View;

const SystemTime kEarly = FromUnixMillis(1'000'000);
const SystemTime kLate = FromUnixMillis(2'000'000);

// Three sources a, b, c; their records for key "k" carry `field` = the given values (null: the
// source has the key but not the field; absent from the map: no record at all).
std::vector<SourceSnapshot> ThreeSources(const std::map<std::string, json>& values,
                                         const std::string& field = "f") {
  std::vector<SourceSnapshot> out;
  for (const auto& id : {"a", "b", "c"}) {
    SourceSnapshot s{id, std::string(id) == "c" ? kLate : kEarly, {}};
    if (auto it = values.find(id); it != values.end()) {
      json fields = {{"id", "k"}};
      if (!it->second.is_null()) fields[field] = it->second;
      s.records.push_back(Record{"k", fields});
    }
    out.push_back(std::move(s));
  }
  return out;
}

MergedRecord MergeOne(const std::string& rule, const std::map<std::string, json>& values) {
  const auto view = View(R"({"id": "v", "key": "id", "sources": ["a", "b", "c"],
                             "fields": {"f": )" +
                         rule + "}}");
  const auto merged = MergeView(view, ThreeSources(values));
  EXPECT_EQ(merged.size(), 1u);
  return merged.empty() ? MergedRecord{} : merged.front();
}

TEST(ViewMerger, PriorityTakesTheFirstSourceWithAValue) {
  auto r = MergeOne(R"("priority")", {{"a", nullptr}, {"b", "B"}, {"c", "C"}});
  EXPECT_EQ(r.fields["f"], "B");
  EXPECT_EQ(r.provenance["f"].source, "b");
  EXPECT_EQ(r.provenance["f"].fetched_at, kEarly);
  EXPECT_EQ(r.sources, (std::vector<std::string>{"a", "b", "c"}));
  // An empty string is a value for priority, not for first_non_empty.
  EXPECT_EQ(MergeOne(R"("priority")", {{"a", ""}, {"b", "B"}}).fields["f"], "");
  EXPECT_EQ(
      MergeOne(R"("first_non_empty")", {{"a", ""}, {"b", json::array()}, {"c", "C"}}).fields["f"],
      "C");
}

TEST(ViewMerger, LatestTakesTheMostRecentlyFetched) {
  auto r = MergeOne(R"("latest")", {{"a", "A"}, {"b", "B"}, {"c", "C"}});
  EXPECT_EQ(r.fields["f"], "C");
  EXPECT_EQ(r.provenance["f"].source, "c");
  EXPECT_EQ(r.provenance["f"].fetched_at, kLate);
  // Same time: priority decides.
  EXPECT_EQ(MergeOne(R"("latest")", {{"a", "A"}, {"b", "B"}}).fields["f"], "A");
}

TEST(ViewMerger, VoteTakesTheMajorityUnderCompareOptions) {
  EXPECT_EQ(MergeOne(R"("vote")", {{"a", "x"}, {"b", "y"}, {"c", "y"}}).fields["f"], "y");
  // A tie goes to the class of the highest-priority source.
  EXPECT_EQ(MergeOne(R"("vote")", {{"a", "x"}, {"b", "y"}}).fields["f"], "x");
  // Case-insensitive agreement: "Paris" and "PARIS" outvote "Lyon"; the value is the
  // highest-priority spelling of the winning class.
  auto r = MergeOne(R"({"strategy": "vote", "compare": {"mode": "casefold"}})",
                    {{"a", "Lyon"}, {"b", "Paris"}, {"c", "PARIS"}});
  EXPECT_EQ(r.fields["f"], "Paris");
  EXPECT_EQ(r.provenance["f"].from, (std::vector<std::string>{"b", "c"}));
}

TEST(ViewMerger, NumericStrategies) {
  const std::map<std::string, json> v = {{"a", 10}, {"b", "4.5"}, {"c", "n/a"}};
  auto min = MergeOne(R"("min")", v);
  EXPECT_EQ(min.fields["f"], 4.5);
  EXPECT_EQ(min.provenance["f"].source, "b");
  auto max = MergeOne(R"("max")", v);
  EXPECT_EQ(max.fields["f"], 10);
  EXPECT_EQ(max.provenance["f"].source, "a");
  auto avg = MergeOne(R"("avg")", v);
  EXPECT_DOUBLE_EQ(avg.fields["f"].get<double>(), 7.25);
  EXPECT_EQ(avg.provenance["f"].from, (std::vector<std::string>{"a", "b"}));
  // No number at all: the priority value.
  EXPECT_EQ(MergeOne(R"("min")", {{"a", "x"}, {"b", "y"}}).fields["f"], "x");
}

TEST(ViewMerger, UnionCombinesListsWithoutDuplicates) {
  auto r = MergeOne(
      R"("union")",
      {{"a", json::array({"CHF"})}, {"b", json::array({"CHE", "CHF", "CHW"})}, {"c", "EUR"}});
  EXPECT_EQ(r.fields["f"], json::array({"CHF", "CHE", "CHW", "EUR"}));
  EXPECT_EQ(r.provenance["f"].from, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(ViewMerger, ConflictsListEverySourcesValue) {
  auto r = MergeOne(R"("priority")", {{"a", "Ivory Coast"}, {"b", "Côte d'Ivoire"}, {"c", ""}});
  ASSERT_EQ(r.conflicts.size(), 1u);
  EXPECT_EQ(r.conflicts[0].field, "f");
  EXPECT_EQ(r.conflicts[0].values,
            (std::map<std::string, json>{{"a", "Ivory Coast"}, {"b", "Côte d'Ivoire"}}));
  EXPECT_EQ(ToJson(r)["conflicts"],
            json::parse(R"([{"field":"f","values":{"a":"Ivory Coast","b":"Côte d'Ivoire"}}])"));
  // Agreement: no conflict. The key field never conflicts with itself.
  EXPECT_TRUE(MergeOne(R"("priority")", {{"a", "x"}, {"b", "x"}}).conflicts.empty());
}

TEST(ViewMerger, CompareModesAndTolerances) {
  auto conflicts = [](const std::string& compare, json a, json b) {
    return MergeOne(R"({"compare": )" + compare + "}", {{"a", a}, {"b", b}}).conflicts.size();
  };
  EXPECT_EQ(conflicts(R"({"mode": "exact"})", "Paris", "PARIS"), 1u);
  EXPECT_EQ(conflicts(R"({"mode": "casefold"})", "Paris", "PARIS"), 0u);
  EXPECT_EQ(conflicts(R"({"mode": "casefold"})", "Bogotá", "Bogota"), 1u);
  EXPECT_EQ(conflicts(R"({"mode": "normalized"})", "Bogotá", " BOGOTA "), 0u);
  EXPECT_EQ(conflicts(R"({"mode": "exact"})", 1.0, 1.004), 1u);
  EXPECT_EQ(conflicts(R"({"tolerance": 0.01})", 1.0, 1.004), 0u);
  EXPECT_EQ(conflicts(R"({"tolerance": 0.01})", 1.0, 1.02), 1u);
  EXPECT_EQ(conflicts(R"({"relative": 0.001})", 1000, 1000.9), 0u);
  EXPECT_EQ(conflicts(R"({"relative": 0.001})", 1000, 1002), 1u);
  EXPECT_EQ(conflicts(R"({})", 4, "4"), 0u);  // a number and its text agree
  EXPECT_EQ(conflicts(R"({"tolerance": 0.5})", "10", "10.2"), 0u);
  EXPECT_EQ(conflicts(R"({})", json::array({"EUR", "BGN"}), json::array({"BGN", "EUR"})), 0u);
  EXPECT_EQ(conflicts(R"({"conflicts": false})", "x", "y"), 0u);
}

TEST(ViewMerger, Joins) {
  const auto sources = std::vector<SourceSnapshot>{
      Snapshot("a", R"([{"key":"1","fields":{"id":"1"}},{"key":"2","fields":{"id":"2"}}])"),
      Snapshot("b", R"([{"key":"2","fields":{"id":"2"}},{"key":"3","fields":{"id":"3"}}])")};
  auto keys = [&](const std::string& join) {
    std::vector<std::string> out;
    for (const auto& r : MergeView(View(R"({"id": "v", "key": "id", "sources": ["a", "b"],
                                           "join": ")" +
                                        join + "\"}"),
                                   sources)) {
      out.push_back(r.key);
    }
    return out;
  };
  EXPECT_EQ(keys("outer"), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(keys("inner"), (std::vector<std::string>{"2"}));
  EXPECT_EQ(keys("left"), (std::vector<std::string>{"1", "2"}));
}

TEST(ViewMerger, DuplicatesInOneSourceAreReported) {
  // Two books with the same title: on the naive key they collide (and are reported); a
  // composite key keeps them apart.
  const auto books = Snapshot("a", R"([
      {"key":"764","fields":{"title":"The Star-Touched Queen","id":764,"price":46.02}},
      {"key":"642","fields":{"title":"The Star-Touched Queen","id":642,"price":32.3}}])");
  MergeStats stats;
  auto naive = MergeView(View(R"({"id": "v", "key": "title", "sources": ["a"]})"), {books}, &stats);
  EXPECT_EQ(naive.size(), 1u);
  EXPECT_EQ(stats.duplicate_keys, 1u);
  EXPECT_EQ(stats.duplicates["a"], (std::set<std::string>{"The Star-Touched Queen"}));
  auto composite =
      MergeView(View(R"({"id": "v", "key": ["title", "id"], "sources": ["a"]})"), {books}, &stats);
  EXPECT_EQ(composite.size(), 2u);
  EXPECT_EQ(stats.duplicate_keys, 0u);
}

TEST(ViewMerger, RenamedFieldsMerge) {
  const auto listing =
      Snapshot("listing", R"([{"key":"Dune","fields":{"title":"Dune","price":9}}])");
  const auto sheet =
      Snapshot("sheet", R"([{"key":"Dune","fields":{"name":"Dune","cost":9.5,"stock":3}}])");
  auto merged = MergeView(View(R"({"id": "v", "key": "title", "sources": ["listing",
      {"id": "sheet", "fields": {"title": "name", "price": "cost"}}]})"),
                          {listing, sheet});
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].fields, json::parse(R"({"title":"Dune","price":9,"stock":3})"));
  EXPECT_EQ(merged[0].provenance["stock"].source, "sheet");
  ASSERT_EQ(merged[0].conflicts.size(), 1u);
  EXPECT_EQ(merged[0].conflicts[0].field, "price");
}

}  // namespace
}  // namespace tributary::merge::combine
