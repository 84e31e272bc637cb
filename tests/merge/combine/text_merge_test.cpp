// The merge on texts (TextMerger) against the merge on trees (ViewMerger + RenderText), which
// is the definition: on generated records of every kind of value, under every strategy, compare
// mode, join and renaming, whatever the text merge decides must be byte for byte what the trees
// give, and it must decide every plain case (else the daemon's full merges would quietly fall
// back to the slow path).
#include "merge/combine/text_merge.hpp"

#include <gtest/gtest.h>

#include <random>

#include "common/json_text.hpp"
#include "tests/merge/combine/combine_test_util.hpp"

namespace tributary::merge::combine {
namespace {

using nlohmann::json;
using test_util::View;

// Values of every kind, with the cases that tempt a text compare: numbers written apart (4 and
// 4.0), numeric strings, case and accents, escapes, empty values, lists in another order.
const std::vector<json>& ValuePool() {
  static const std::vector<json> pool = {json(),
                                         "",
                                         "x",
                                         "X",
                                         "y",
                                         "é",
                                         "e\u0301",
                                         "say \"hi\"",
                                         "tab\there",
                                         "4",
                                         " 4 ",
                                         "4.0",
                                         4,
                                         4.0,
                                         4.004,
                                         4.3,
                                         -1,
                                         0,
                                         1e20,
                                         12345678901234567,
                                         true,
                                         false,
                                         json::array(),
                                         json::array({1, 2}),
                                         json::array({2, 1}),
                                         json::array({"a"}),
                                         json::object(),
                                         json{{"a", 1}},
                                         json{{"a", 1.0}}};
  return pool;
}

// A source record: some of the names below, with values from `pool` (the first `plain` values
// only when plain).
json RandomFields(std::mt19937& rng, const std::vector<json>& pool, bool with_odd_names) {
  static const std::vector<std::string> names = {"id", "name", "price", "tags", "title", "extra"};
  json fields = json::object();
  for (const auto& n : names) {
    if (rng() % 3 == 0) continue;
    fields[n] = pool[rng() % pool.size()];
  }
  if (with_odd_names && rng() % 10 == 0) fields["we\"ird"] = 1;  // a name with an escape
  return fields;
}

struct Checked {
  size_t decided = 0;
  size_t unsure = 0;
};

// Merges `records` both ways and compares; counts the text merge's verdicts.
void CheckOne(const ViewMerger& merger, TextMerger& text_merger, const std::string& key,
              const std::vector<std::pair<size_t, json>>& records,
              const std::vector<SystemTime>& times, Checked& checked) {
  std::vector<std::string> texts;
  texts.reserve(records.size());
  for (const auto& r : records) texts.push_back(CanonicalJson(r.second));
  std::vector<SourceRecordRef> refs;
  std::vector<TextRecordRef> text_refs;
  for (size_t i = 0; i < records.size(); ++i) {
    const size_t source = records[i].first;
    refs.push_back(SourceRecordRef{source, times[source], &records[i].second});
    text_refs.push_back(TextRecordRef{source, times[source], texts[i]});
  }
  const auto merged = merger.Merge(key, refs);
  MergedRecordText text;
  const auto outcome = text_merger.Merge(key, text_refs, text);
  const std::string what = "key " + key + ", records " + json(records).dump();
  switch (outcome) {
    case TextMerger::Outcome::kUnsure:
      ++checked.unsure;
      return;
    case TextMerger::Outcome::kNothing:
      ++checked.decided;
      EXPECT_FALSE(merged.has_value()) << what;
      return;
    case TextMerger::Outcome::kMerged:
      break;
  }
  ++checked.decided;
  ASSERT_TRUE(merged.has_value()) << what;
  const MergedRecordText expected = RenderText(*merged);
  EXPECT_EQ(text.key, expected.key) << what;
  EXPECT_EQ(text.fields, expected.fields) << what;
  EXPECT_EQ(text.sources, expected.sources) << what;
  EXPECT_EQ(text.provenance, expected.provenance) << what;
  EXPECT_EQ(text.conflicts, expected.conflicts) << what;
  EXPECT_EQ(text.has_conflicts, expected.has_conflicts) << what;
  EXPECT_EQ(text.Whole(), expected.Whole()) << what;
}

// Three sources (b and c rename fields), records drawn at random for `cases` keys.
Checked MergeBothWays(const config::ViewConfig& view, const std::vector<json>& pool, bool odd_names,
                      int cases, unsigned seed) {
  const ViewMerger merger(view);
  TextMerger text_merger(merger);
  std::mt19937 rng(seed);
  // More fetch times than the provenance text remembers, so that it forgets some.
  std::vector<SystemTime> times;
  for (int i = 0; i < 6; ++i) times.push_back(FromUnixMillis(1'700'000'000'000 + 1000 * i));
  Checked checked;
  for (int i = 0; i < cases; ++i) {
    std::vector<SystemTime> at = {times[rng() % 6], times[rng() % 6], times[rng() % 6]};
    std::vector<std::pair<size_t, json>> records;
    for (size_t s = 0; s < 3; ++s) {
      if (rng() % 4 == 0) continue;
      records.emplace_back(s, RandomFields(rng, pool, odd_names));
      // With the odd cases, now and then a record without fields, or one that is not an object
      // (the trees drop it).
      if (odd_names && rng() % 25 == 0)
        records.back().second = rng() % 2 ? json::object() : json::array({1});
      // Now and then a source's second record, and records out of priority order.
      if (rng() % 12 == 0) records.emplace_back(s, RandomFields(rng, pool, odd_names));
    }
    if (rng() % 2 == 0) std::shuffle(records.begin(), records.end(), rng);
    CheckOne(merger, text_merger, "k" + std::to_string(i), records, at, checked);
    if (::testing::Test::HasFailure()) break;
  }
  return checked;
}

const char* kStrategies[] = {"priority", "latest", "vote",  "min",
                             "max",      "avg",    "union", "first_non_empty"};
const char* kModes[] = {"exact", "casefold", "normalized"};
const char* kJoins[] = {"outer", "inner", "left"};

std::string RandomView(std::mt19937& rng) {
  json fields = json::object();
  for (const char* name : {"name", "price", "tags", "title", "extra", "label"}) {
    if (rng() % 4 == 0) continue;
    json rule = {{"strategy", kStrategies[rng() % 8]}};
    json compare = {{"mode", kModes[rng() % 3]}};
    if (rng() % 3 == 0) compare["tolerance"] = 0.01;
    if (rng() % 4 == 0) compare["relative"] = 0.001;
    if (rng() % 6 == 0) compare["conflicts"] = false;
    rule["compare"] = compare;
    fields[name] = rule;
  }
  json view = {{"id", "v"},
               {"key", "id"},
               {"join", kJoins[rng() % 3]},
               {"sources",
                {"a",
                 {{"id", "b"}, {"fields", {{"label", "name"}, {"title", "extra"}}}},
                 {{"id", "c"}, {"fields", {{"name", "title"}, {"tags", "tags"}}}}}},
               {"fields", fields}};
  return view.dump();
}

TEST(TextMergeTest, AgreesWithTheTreesUnderEveryRule) {
  std::mt19937 rng(20261203);
  Checked all;
  for (int v = 0; v < 60 && !HasFailure(); ++v) {
    const std::string definition = RandomView(rng);
    SCOPED_TRACE(definition);
    const auto checked = MergeBothWays(View(definition), ValuePool(), true, 400, rng());
    all.decided += checked.decided;
    all.unsure += checked.unsure;
  }
  // The comparison means something only if the text merge decides a good share of the cases.
  EXPECT_GT(all.decided, all.unsure / 2) << all.decided << " decided, " << all.unsure << " unsure";
}

TEST(TextMergeTest, DecidesEveryPlainCase) {
  // Values taken as they are (priority, latest, first_non_empty, vote), compared exactly or
  // with a tolerance on numbers, without numeric strings, lists or objects to compare: what a
  // typical view of scraped records is. The text merge must decide all of it.
  const std::vector<json> plain = {
      json(), "",   "x", "X", "y", "é", "say \"hi\"", 4, 4.0, 4.004, 4.3, -1, 12345678901234567,
      true,   false};
  for (const char* strategy : {"priority", "latest", "first_non_empty", "vote"}) {
    const std::string definition = std::string(R"({"id": "v", "key": "id",
        "sources": ["a", {"id": "b", "fields": {"label": "name"}}, "c"],
        "fields": {"name": {"strategy": ")") +
                                   strategy + R"("},
                   "price": {"strategy": ")" +
                                   strategy + R"(",
                             "compare": {"tolerance": 0.01, "relative": 0.001}},
                   "title": {"strategy": ")" +
                                   strategy + R"("}}})";
    SCOPED_TRACE(definition);
    const auto checked = MergeBothWays(View(definition), plain, false, 3000, 7);
    EXPECT_EQ(checked.unsure, 0u);
    EXPECT_EQ(checked.decided, 3000u);
  }
}

TEST(TextMergeTest, LeavesComputedValuesToTheTrees) {
  const auto view = View(R"({"id": "v", "key": "id", "sources": ["a", "b"],
                            "fields": {"price": {"strategy": "avg"}}})");
  const ViewMerger merger(view);
  TextMerger text_merger(merger);
  std::vector<TextRecordRef> records = {{0, FromUnixMillis(1), R"({"id":"1","price":4})"}};
  MergedRecordText out;
  // avg of one value writes it as a double (4.0): the text alone would say 4.
  EXPECT_EQ(text_merger.Merge("1", records, out), TextMerger::Outcome::kUnsure);
  records = {{0, FromUnixMillis(1), R"({"id":"1","name":"x"})"}};
  EXPECT_EQ(text_merger.Merge("1", records, out), TextMerger::Outcome::kMerged);
  EXPECT_EQ(out.fields, R"({"id":"1","name":"x"})");
}

TEST(TextMergeTest, TheNamesItRemembersStayBounded) {
  // A source whose records each bring a new field name: the merger remembers 4,096 names of a
  // source, then leaves records with more to the trees, rather than growing without bound.
  const auto view = View(R"({"id": "v", "key": "id", "sources": ["a", "b"]})");
  const ViewMerger merger(view);
  TextMerger text_merger(merger);
  const std::vector<SystemTime> times = {FromUnixMillis(1), FromUnixMillis(2)};
  Checked checked;
  for (int i = 0; i < 5000 && !HasFailure(); ++i) {
    const std::string key = "k" + std::to_string(i);
    CheckOne(merger, text_merger, key,
             {{0, json{{"id", key}, {"f" + std::to_string(i), i}}}, {1, json{{"id", key}}}}, times,
             checked);
  }
  // "id" and f0 … f4094 are the 4,096 names; each key from f4095 on brings one too many.
  EXPECT_EQ(checked.decided, 4095u);
  EXPECT_EQ(checked.unsure, 905u);
}

}  // namespace
}  // namespace tributary::merge::combine
