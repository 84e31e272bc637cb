// The merge_keys job as the daemon runs it (ViewPipeline → worker): the body the daemon builds,
// what the worker merges and compares with the stored record, and what the daemon reads back.
#include "merge/combine/merge_job.hpp"

#include <gtest/gtest.h>

#include <random>

#include "common/json_text.hpp"
#include "common/packed_text.hpp"
#include "merge/combine/compared_record.hpp"
#include "merge/combine/record_diff.hpp"
#include "merge/combine/view_merger.hpp"

#include "tests/merge/combine/combine_test_util.hpp"
#include "tests/support/packed.hpp"

namespace tributary::merge::combine {
namespace {

using nlohmann::json;
using test_util::View;

constexpr int64_t kEarly = 1'000'000;
constexpr int64_t kLate = 2'000'000;

const config::ViewConfig& TwoSources() {
  static const config::ViewConfig view = View(R"({"id": "v", "key": "id",
      "sources": ["a", {"id": "b", "fields": {"id": "code"}}],
      "fields": {"price": {"strategy": "latest"}}})");
  return view;
}

// One item: key, the stored record (JSON text, "" for none) and per source (index, fetched ms,
// fields). The texts must outlive the body, as the daemon's do.
struct Rec {
  size_t source = 0;
  int64_t at = 0;
  std::string fields;
};
struct Item {
  std::string key;
  std::string before;
  std::vector<Rec> records;
  // The key's records before the update (MergeItem::old_records), when given.
  std::optional<std::vector<Rec>> old = std::nullopt;
};

std::string Body(const std::vector<Item>& items) {
  std::string body;
  std::vector<std::string> olds(items.size());  // outlive the body's construction
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    MergeItem item;
    item.key = it.key;
    if (!it.before.empty()) item.before = &it.before;
    for (const auto& r : it.records) item.records.push_back({r.source, r.at, r.fields});
    if (it.old) {
      MergeItemRecords old;
      for (const auto& r : *it.old) old.push_back({r.source, r.at, r.fields});
      AppendMergeRecords(olds[i], old);
      item.old_records = olds[i];
    }
    AppendMergeItem(body, item);
  }
  return body;
}

// A result as the daemon reads it, its texts parsed back for the assertions.
struct Outcome {
  std::string key;
  std::string op;
  std::optional<MergedRecord> record;
  std::string stored;  // the compared record a recompute sends as "before" (from the store)
  std::string whole;   // the whole record text the daemon stores
  json before, after, fields;
};

std::vector<Outcome> RunJob(const std::vector<Item>& items,
                            const config::ViewConfig& view = TwoSources()) {
  auto reply = RunMergeJob(view, Body(items));
  EXPECT_TRUE(reply.ok()) << reply.error().message;
  if (!reply.ok()) return {};
  auto results = ParseMergeResults(reply->body);
  EXPECT_TRUE(results.ok()) << results.error().message;
  if (!results.ok()) return {};
  EXPECT_EQ(results->size(), reply->results);
  std::vector<Outcome> out;
  for (const auto& r : *results) {
    // An added record's diff is left to the reader (storage::ChangeText::fields): spelled out
    // here as it reads it.
    EXPECT_EQ(r.diff.empty(), r.op == "added") << r.op;
    const json diff =
        r.op == "added" ? AddedFieldDiff(json::parse(r.after())) : json::parse(r.diff);
    Outcome o{std::string(r.key),    std::string(r.op),      std::nullopt, "", "",
              json::parse(r.before), json::parse(r.after()), diff};
    if (r.has_record) {
      o.stored = ComparedRecordText(r.Record()).value_or("");
      o.whole = std::string(r.whole);
      EXPECT_EQ(o.whole, r.Record().Whole());
      o.record = MergedRecordFromJson(json::parse(o.whole));
      // What a recompute makes of the record it reads back from the store (ViewPipeline's
      // LoadStoredMerged) is what the worker's record gives.
      EXPECT_EQ(ComparedRecordText(RenderText(*o.record)).value_or(""), o.stored);
    }
    out.push_back(std::move(o));
  }
  return out;
}

std::string Stored(const Outcome& r) { return r.stored; }

TEST(MergeJob, AddsChangesAndRemovesWithFieldLevelDiffs) {
  auto added = RunJob({{"k", "", {{0, kEarly, R"({"id":"k","name":"Dune","price":10})"}}}});
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].op, "added");
  EXPECT_TRUE(added[0].before.is_null());
  EXPECT_EQ(added[0].after, json({{"id", "k"}, {"name", "Dune"}, {"price", 10}}));
  EXPECT_EQ(added[0].fields["name"], json({{"before", nullptr}, {"after", "Dune"}}));
  const std::string stored = Stored(added[0]);

  auto changed = RunJob({{"k", stored, {{0, kEarly, R"({"id":"k","name":"Dune","price":12})"}}}});
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].op, "changed");
  EXPECT_EQ(changed[0].fields, json({{"price", {{"before", 10}, {"after", 12}}}}));

  auto removed = RunJob({{"k", stored, {}}});
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].op, "removed");
  EXPECT_FALSE(removed[0].record.has_value());
  EXPECT_TRUE(removed[0].after.is_null());
  EXPECT_EQ(removed[0].fields["name"], json({{"before", "Dune"}, {"after", nullptr}}));

  // Nothing stored and nothing merged: no result.
  EXPECT_TRUE(RunJob({{"gone", "", {}}}).empty());
}

TEST(MergeJob, TheRecordsBeforeAnUpdateStandForTheStoredRecord) {
  // As the daemon sends an update's keys: no stored record, but the records before the update,
  // whose merge is what the last commit stored.
  const std::vector<Rec> dune10 = {{0, kEarly, R"({"id":"k","name":"Dune","price":10})"}};
  const std::vector<Rec> dune12 = {{0, kLate, R"({"id":"k","name":"Dune","price":12})"}};
  auto changed = RunJob({{"k", "", dune12, dune10}});
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].op, "changed");
  EXPECT_EQ(changed[0].before, json({{"id", "k"}, {"name", "Dune"}, {"price", 10}}));
  EXPECT_EQ(changed[0].fields, json({{"price", {{"before", 10}, {"after", 12}}}}));

  // Fetched again, the same: no change (provenance times alone are none).
  const std::vector<Rec> dune10_late = {{0, kLate, R"({"id":"k","name":"Dune","price":10})"}};
  EXPECT_TRUE(RunJob({{"k", "", dune10_late, dune10}}).empty());

  // No records before: added; none after: removed; neither: nothing.
  auto added = RunJob({{"k", "", dune10, std::vector<Rec>{}}});
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].op, "added");
  EXPECT_TRUE(added[0].before.is_null());
  auto removed = RunJob({{"k", "", {}, dune10}});
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].op, "removed");
  EXPECT_EQ(removed[0].fields["price"], json({{"before", 10}, {"after", nullptr}}));
  EXPECT_TRUE(RunJob({{"k", "", {}, std::vector<Rec>{}}}).empty());

  // a's record goes, b's says the same: the fields stay, the sources change.
  const Rec b_dune = {1, kEarly, R"({"code":"k","name":"Dune"})"};
  const Rec a_dune = {0, kEarly, R"({"id":"k","name":"Dune"})"};
  auto moved = RunJob({{"k", "", {b_dune}, std::vector<Rec>{a_dune, b_dune}}});
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].op, "changed");  // the sources list changed
  EXPECT_EQ(moved[0].fields, json::object());

  // Records before the update and a stored record both: the body is malformed.
  auto both = RunMergeJob(TwoSources(), Body({{"k", added[0].stored, dune12, dune10}}));
  EXPECT_FALSE(both.ok());
}

TEST(MergeJob, ProvenanceTimeIsTheSourcesFetchAndAloneIsNoChange) {
  auto first = RunJob({{"k", "", {{0, kEarly, R"({"id":"k","name":"Dune"})"}}}});
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].record->provenance.at("name").source, "a");
  EXPECT_EQ(first[0].record->provenance.at("name").fetched_at, FromUnixMillis(kEarly));
  // The same record, fetched again later: the stored record stays (the store reports the
  // source's latest fetch time on read), so the job reports nothing.
  EXPECT_TRUE(
      RunJob({{"k", Stored(first[0]), {{0, kLate, R"({"id":"k","name":"Dune"})"}}}}).empty());
}

TEST(MergeJob, ProvenanceMovingToAnotherSourceIsStoredWithoutAChange) {
  // Both sources say "Dune"; a (first by priority) gives it.
  auto both = RunJob({{"k",
                       "",
                       {{0, kEarly, R"({"id":"k","name":"Dune"})"},
                        {1, kEarly, R"({"code":"k","name":"Dune"})"}}}});
  ASSERT_EQ(both.size(), 1u);
  ASSERT_EQ(both[0].record->provenance.at("name").source, "a");
  // a drops the field; b still has the same value. Fields, sources and conflicts are the same,
  // but the value now comes from b: the record must be stored again, naming b.
  auto dropped =
      RunJob({{"k",
               Stored(both[0]),
               {{0, kLate, R"({"id":"k"})"}, {1, kEarly, R"({"code":"k","name":"Dune"})"}}}});
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].op, "provenance");
  ASSERT_TRUE(dropped[0].record.has_value());
  EXPECT_EQ(dropped[0].record->provenance.at("name").source, "b");
  EXPECT_EQ(dropped[0].record->fields["name"], "Dune");
  EXPECT_EQ(dropped[0].fields, json::object());  // no value changed
  // Stored again as it is now: nothing more to do.
  EXPECT_TRUE(
      RunJob({{"k",
               Stored(dropped[0]),
               {{0, kLate, R"({"id":"k"})"}, {1, kEarly, R"({"code":"k","name":"Dune"})"}}}})
          .empty());
}

// A stored record whose provenance cannot be read (what no daemon writes) is no error: the key
// is stored again, as op "provenance", with a provenance that can.
TEST(MergeJob, AStoredProvenanceThatCannotBeReadIsStoredAgain) {
  const std::string fields = R"({"id":"k","name":"Dune"})";
  auto first = RunJob({{"k", "", {{0, kEarly, fields}}}});
  ASSERT_EQ(first.size(), 1u);
  for (const std::string bad : {R"("zz")", "5", "null", "[]"}) {
    std::string stored = first[0].stored;
    const size_t at = stored.find(R"("provenance":)") + 13;
    stored.replace(at, stored.find(R"(,"sources":)") - at, bad);
    auto again = RunJob({{"k", stored, {{0, kLate, fields}}}});
    ASSERT_EQ(again.size(), 1u) << stored;
    EXPECT_EQ(again[0].op, "provenance");
    EXPECT_EQ(again[0].fields, json::object());
    EXPECT_EQ(again[0].stored, first[0].stored);
  }
}

TEST(MergeJob, LatestTakesTheSourceFetchedMostRecently) {
  const std::string a = R"({"id":"k","price":10})";
  const std::string b = R"({"code":"k","price":12})";
  auto b_later = RunJob({{"k", "", {{0, kEarly, a}, {1, kLate, b}}}});
  ASSERT_EQ(b_later.size(), 1u);
  EXPECT_EQ(b_later[0].record->fields["price"], 12);
  EXPECT_EQ(b_later[0].record->provenance.at("price").source, "b");
  EXPECT_EQ(b_later[0].record->provenance.at("price").fetched_at, FromUnixMillis(kLate));
  // a is fetched again, unchanged: now a is the most recently fetched and its value wins.
  auto a_later = RunJob({{"k", Stored(b_later[0]), {{0, kLate + 1, a}, {1, kLate, b}}}});
  ASSERT_EQ(a_later.size(), 1u);
  EXPECT_EQ(a_later[0].op, "changed");
  EXPECT_EQ(a_later[0].fields, json({{"price", {{"before", 12}, {"after", 10}}}}));
  EXPECT_EQ(a_later[0].record->provenance.at("price").source, "a");
  EXPECT_EQ(a_later[0].record->provenance.at("price").fetched_at, FromUnixMillis(kLate + 1));
  // Fetched at the same moment: priority decides.
  auto tie = RunJob({{"k", "", {{0, kLate, a}, {1, kLate, b}}}});
  ASSERT_EQ(tie.size(), 1u);
  EXPECT_EQ(tie[0].record->provenance.at("price").source, "a");
}

TEST(MergeJob, ConflictsAndJoinDecideTheResult) {
  const auto inner = View(R"({"id": "v", "key": "id", "join": "inner", "sources": ["a", "b"]})");
  // Only a has the key: the inner join leaves it out.
  EXPECT_TRUE(RunJob({{"k", "", {{0, kEarly, R"({"id":"k","x":1})"}}}}, inner).empty());
  auto both = RunJob(
      {{"k", "", {{0, kEarly, R"({"id":"k","x":1})"}, {1, kEarly, R"({"id":"k","x":2})"}}}}, inner);
  ASSERT_EQ(both.size(), 1u);
  ASSERT_EQ(both[0].record->conflicts.size(), 1u);
  EXPECT_EQ(both[0].record->conflicts[0].field, "x");
  // A conflict that goes away is a change even when the merged value stays (priority: a's 1).
  auto agree = RunJob({{"k",
                        Stored(both[0]),
                        {{0, kEarly, R"({"id":"k","x":1})"}, {1, kEarly, R"({"id":"k","x":1})"}}}},
                      inner);
  ASSERT_EQ(agree.size(), 1u);
  EXPECT_EQ(agree[0].op, "changed");
  EXPECT_TRUE(agree[0].record->conflicts.empty());
}

// The worker compares a stored record by its parts' texts (its canonical text, as the daemon
// keeps it); a stored text it cannot read that way is parsed whole. Both must give the same
// reply, byte for byte: the first member's name written with an escape forces the second. So
// must the whole record given instead of the compared record (what the daemon kept before).
TEST(MergeJob, StoredRecordsReadAsTextsGiveWhatParsingThemGives) {
  auto escaped = [](std::string stored) {
    EXPECT_EQ(stored.rfind("{\"conflicts\":", 0), 0u) << stored;
    return stored.replace(0, 13, "{\"\\u0063onflicts\":");
  };
  const auto both = RunJob({{"k",
                             "",
                             {{0, kEarly, R"({"id":"k","name":"Dune","price":1})"},
                              {1, kEarly, R"({"code":"k","name":"Dune","price":1})"}}}});
  ASSERT_EQ(both.size(), 1u);
  const std::string stored = Stored(both[0]);
  const std::vector<std::vector<Rec>> updates = {
      {{0, kEarly, R"({"id":"k","name":"Dune","price":1})"},
       {1, kEarly, R"({"code":"k","name":"Dune","price":1})"}},  // the same
      {{0, kLate, R"({"id":"k","name":"Dune","price":1})"},
       {1, kEarly, R"({"code":"k","name":"Dune","price":1})"}},  // fetched again
      {{0, kLate, R"({"id":"k","name":"Dune","price":1.0})"},
       {1, kEarly, R"({"code":"k","name":"Dune","price":1.0})"}},  // equal values written apart
      {{0, kLate, R"({"id":"k","name":"Dune","price":2})"},
       {1, kEarly, R"({"code":"k","name":"Dune","price":1})"}},  // a value changes
      {{0, kLate, R"({"id":"k","name":"Dune","price":2})"},
       {1, kLate, R"({"code":"k","name":"Dune","price":2})"}},  // both change it
      {{0, kLate, R"({"id":"k"})"}, {1, kEarly, R"({"code":"k","name":"Dune","price":1})"}},
      {{1, kEarly, R"({"code":"k","name":"Dune","price":1})"}},  // a source leaves
      {{0, kLate, R"({"id":"k","name":"Dune","price":1})"},
       {1, kEarly, R"({"code":"k","name":"Dunes","price":1})"}},  // a conflict appears
      {},                                                         // the key goes
  };
  const std::string escaped_stored = escaped(stored);
  for (size_t u = 0; u < updates.size(); ++u) {
    auto as_text = RunMergeJob(TwoSources(), Body({{"k", stored, updates[u]}}));
    auto as_tree = RunMergeJob(TwoSources(), Body({{"k", escaped_stored, updates[u]}}));
    auto as_whole = RunMergeJob(TwoSources(), Body({{"k", both[0].whole, updates[u]}}));
    ASSERT_TRUE(as_text.ok() && as_tree.ok() && as_whole.ok()) << u;
    EXPECT_EQ(as_text->body, as_tree->body) << u;
    EXPECT_EQ(as_text->results, as_tree->results) << u;
    EXPECT_EQ(as_text->body, as_whole->body) << u;
  }
  // And the escaped text is the same record: it is still read (not an error).
  EXPECT_EQ(json::parse(escaped_stored), json::parse(stored));
}

// A key with a stored record is compared with it on the merged texts where the text merge
// decides (tests/merge/combine/text_merge_test.cpp): on random records, stored records made by
// an earlier job and random updates of them, every result must be what the tree merge gives
// under the rules of merge_job.hpp: no result when the merged fields, sources and conflicts are
// the stored ones and the values come from the same sources; "provenance" when only the sources
// of the values moved; else "changed" or "removed" with the field-level diff.
TEST(MergeJob, ComparesWithTheStoredRecordAsTheTreesWould) {
  const auto view = View(R"({"id": "v", "key": "id",
      "sources": ["a", {"id": "b", "fields": {"id": "code"}}, "c"],
      "fields": {"price": {"strategy": "latest", "compare": {"tolerance": 0.5}},
                 "name": {"strategy": "vote"}, "stock": {"strategy": "first_non_empty"}}})");
  const ViewMerger merger(view);
  const std::vector<json> values = {json(), "", "x", "y", "X", 1, 1.0, 1.2, 2, true};
  std::mt19937 rng(20261204);
  const int64_t times[] = {kEarly, kLate, kLate + 1000};
  auto random_records = [&](const std::string& key) {
    std::vector<Rec> records;
    for (size_t s = 0; s < 3; ++s) {
      if (rng() % 4 == 0) continue;
      json fields = {{s == 1 ? "code" : "id", key}};
      for (const char* name : {"name", "price", "stock"}) {
        if (rng() % 4 != 0) fields[name] = values[rng() % values.size()];
      }
      records.push_back({s, times[rng() % 3], CanonicalJson(fields)});
    }
    return records;
  };
  size_t counts[5] = {0, 0, 0, 0, 0};  // none, added, changed, provenance, removed
  for (int i = 0; i < 3000 && !HasFailure(); ++i) {
    const std::string key = "k" + std::to_string(i);
    const std::vector<Rec> original = random_records(key);
    const auto first = RunJob({{key, "", original}}, view);
    if (first.empty()) continue;
    const std::string stored = first[0].stored;
    const std::string stored_whole = first[0].whole;
    // The update: new records; the same ones (fetched again, or not); the same with a field
    // gone from one of them (its value may now come from another source); one record or none.
    std::vector<Rec> update = original;
    switch (rng() % 5) {
      case 0:
        update = random_records(key);
        break;
      case 1:
        break;
      case 2:
        for (auto& r : update) r.at = times[rng() % 3];
        break;
      case 3:
        if (!update.empty()) {
          json fields = json::parse(update[0].fields);
          fields.erase(std::vector<std::string>{"name", "price", "stock"}[rng() % 3]);
          update[0].fields = CanonicalJson(fields);
        }
        break;
      default:  // one record left, or none (the key goes)
        update.clear();
        if (rng() % 2 == 0) {
          update = {{rng() % 3, kLate, R"({"id":")" + key + R"(","code":")" + key + R"("})"}};
        }
    }
    const auto results = RunJob({{key, stored, update}}, view);
    // The whole record as the stored one gives the same results (what the daemon kept before).
    const auto from_whole = RunJob({{key, stored_whole, update}}, view);
    // And the records before the update instead of a stored record (what the daemon sends).
    const auto from_old = RunJob({{key, "", update, original}}, view);
    for (const auto* other : {&from_whole, &from_old}) {
      ASSERT_EQ(other->size(), results.size());
      for (size_t r = 0; r < results.size(); ++r) {
        EXPECT_EQ((*other)[r].op, results[r].op);
        EXPECT_EQ((*other)[r].whole, results[r].whole);
        EXPECT_EQ((*other)[r].before, results[r].before);
        EXPECT_EQ((*other)[r].fields, results[r].fields);
      }
    }
    // The model, from the trees.
    std::vector<json> trees;
    for (const auto& r : update) trees.push_back(json::parse(r.fields));
    std::vector<SourceRecordRef> refs;
    for (size_t r = 0; r < update.size(); ++r) {
      refs.push_back({update[r].source, FromUnixMillis(update[r].at), &trees[r]});
    }
    const auto merged = merger.Merge(key, refs);
    const json before = json::parse(stored_whole);
    const std::string what = "stored " + stored_whole + ", update " + json(trees).dump();
    json expected_diff = json::object();
    const json after_fields = merged ? merged->fields : json();
    for (const auto& f : DiffFields(before["fields"], after_fields)) {
      expected_diff[f.field] = {{"after", f.after}, {"before", f.before}};
    }
    std::string expected_op;
    if (!merged) {
      expected_op = "removed";
    } else {
      const json now = json::parse(RenderText(*merged).Whole());
      // Each field's sources, read as the store reads a provenance (either form).
      auto value_sources = [](const json& record) {
        json out = json::object();
        for (const auto& [field, p] : ProvenanceFromJson(record["provenance"], record["fields"])) {
          out[field] = {p.source, p.from};
        }
        return out;
      };
      if (now["fields"] != before["fields"] || now["sources"] != before["sources"] ||
          now["conflicts"] != before["conflicts"]) {
        expected_op = "changed";
      } else if (value_sources(now) != value_sources(before)) {
        expected_op = "provenance";
        expected_diff = json::object();
      }
    }
    if (expected_op.empty()) {
      EXPECT_TRUE(results.empty()) << what;
      ++counts[0];
      continue;
    }
    ASSERT_EQ(results.size(), 1u) << what;
    EXPECT_EQ(results[0].op, expected_op) << what;
    EXPECT_EQ(results[0].before, before["fields"]) << what;
    EXPECT_EQ(results[0].after, after_fields) << what;
    EXPECT_EQ(results[0].fields, expected_diff) << what;
    if (merged) {
      EXPECT_EQ(results[0].whole, RenderText(*merged).Whole()) << what;
    }
    ++counts[expected_op == "changed" ? 2 : expected_op == "provenance" ? 3 : 4];
  }
  // Every outcome came up often enough for the comparison to mean something.
  for (size_t c : {0, 2, 3, 4}) EXPECT_GT(counts[c], 20u) << c;
}

TEST(MergeJob, AKeyThatJsonEscapesComesBackAsItWas) {
  // The reply's whole text holds the key escaped; the daemon checks it against the result's.
  for (const std::string key : {"say \"hi\"", "tab\there", "caf\u00e9", "back\\slash"}) {
    const std::string fields = CanonicalJson(json{{"id", key}, {"name", "x"}});
    const auto results = RunJob({{key, "", {{0, kEarly, fields}}}});
    ASSERT_EQ(results.size(), 1u) << key;
    EXPECT_EQ(results[0].key, key);
    ASSERT_TRUE(results[0].record.has_value()) << key;
    EXPECT_EQ(results[0].record->key, key);
  }
}

TEST(MergeJob, MalformedInputIsAPermanentError) {
  // Bytes that are no packed item; an item cut short after its key, its stored record, its
  // count, or a record's time; a negative count; a stored record that is not a JSON object; no
  // count of records before, one below -1, one that promises records that are not there.
  using tributary::test_util::Packed;
  const int64_t zero = 0, one = 1;
  const std::vector<std::string> bodies = {"{}",
                                           "[1]",
                                           Packed({"k"}),
                                           Packed({"k", ""}),
                                           Packed({"k", "", one}),
                                           Packed({"k", "", int64_t{-1}}),
                                           Packed({"k", "", one, one, zero}),
                                           Packed({"k", "[]", zero, int64_t{-1}}),
                                           Packed({"k", "", zero}),
                                           Packed({"k", "", zero, int64_t{-2}}),
                                           Packed({"k", "", zero, one})};
  for (size_t i = 0; i < bodies.size(); ++i) {
    auto reply = RunMergeJob(TwoSources(), bodies[i]);
    ASSERT_FALSE(reply.ok()) << i;
    EXPECT_EQ(reply.error().error_class, ErrorClass::kPermanent) << i;
  }
  // The same item whole: merged (a record before the update in the stored record's place).
  ASSERT_TRUE(RunMergeJob(TwoSources(), Packed({"k", "", zero, zero})).ok());
  EXPECT_TRUE(RunMergeJob(TwoSources(), "").ok());  // no items, no results

  // One result as a worker writes it, its record made of the given parts (none: removed) with
  // `whole_key` as its key; `skew` is added to the fields length it gives.
  struct Parts {
    std::string_view conflicts, fields, provenance, sources;
  };
  auto result = [](std::string_view op, std::optional<Parts> parts, int64_t skew = 0,
                   std::string_view whole_key = "k") {
    std::string body;
    PackedWriter out(body);
    out.Text(op);
    out.Text("k");
    std::string whole;
    if (parts) {
      AppendWholeRecordText(whole, whole_key, parts->fields, parts->sources, parts->provenance,
                            parts->conflicts);
    }
    out.Text(whole);
    const Parts p = parts.value_or(Parts{});
    out.Int(static_cast<int64_t>(p.conflicts.size()));
    out.Int(static_cast<int64_t>(p.fields.size()) + skew);
    out.Int(static_cast<int64_t>(p.provenance.size()));
    out.Int(static_cast<int64_t>(p.sources.size()));
    out.Int(0);
    for (int i = 0; i < 2; ++i) out.Text("null");
    out.Flush();
    return body;
  };
  const Parts record{"[]", R"({"a":1})", R"({"a":{"source":"x"}})", R"(["x"])"};
  const std::string reply = result("added", record);  // the results are views into it
  const auto parsed = ParseMergeResults(reply);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].conflicts, record.conflicts);
  EXPECT_EQ((*parsed)[0].fields, record.fields);
  EXPECT_EQ((*parsed)[0].provenance, record.provenance);
  EXPECT_EQ((*parsed)[0].sources, record.sources);
  EXPECT_EQ((*parsed)[0].whole, (*parsed)[0].Record().Whole());
  // Read again into a vector that held results: it holds this reply's only.
  std::vector<MergeResult> reused(3);
  ASSERT_TRUE(ParseMergeResults(reply, reused).ok());
  ASSERT_EQ(reused.size(), 1u);
  EXPECT_EQ(reused[0].whole, (*parsed)[0].whole);
  EXPECT_TRUE(ParseMergeResults(result("removed", std::nullopt)).ok());
  EXPECT_FALSE(ParseMergeResults(result("moved", record)).ok());
  // Lengths that do not cut the whole text where its members are.
  EXPECT_FALSE(ParseMergeResults(result("added", record, 1)).ok());
  EXPECT_FALSE(ParseMergeResults(result("added", record, -1)).ok());
  EXPECT_FALSE(ParseMergeResults(result("added", record, INT64_MAX - 100)).ok());
  EXPECT_FALSE(ParseMergeResults(result("added", record, -1000)).ok());
  // The record of another key.
  EXPECT_FALSE(ParseMergeResults(result("added", record, 0, "z")).ok());
  EXPECT_FALSE(ParseMergeResults(result("added", record, 0, "k\"")).ok());
  // A removal with a length of a record it does not have.
  EXPECT_FALSE(ParseMergeResults(result("removed", std::nullopt, 5)).ok());
  // Anything but a removal needs its record, and a removal has none.
  EXPECT_FALSE(ParseMergeResults(result("provenance", std::nullopt)).ok());
  EXPECT_FALSE(ParseMergeResults(result("removed", record)).ok());
  // Cut anywhere, a reply is refused rather than half read.
  const std::string whole = result("added", record);
  for (size_t cut = 1; cut < whole.size(); ++cut) {
    EXPECT_FALSE(ParseMergeResults(std::string_view(whole).substr(0, cut)).ok()) << cut;
  }
}

}  // namespace
}  // namespace tributary::merge::combine
