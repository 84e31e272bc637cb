// A source's stored records compared with its next snapshot: records added, removed and changed
// with field-level before/after, as the change history stores them.
#include "service/source_records.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>

namespace tributary::service {
namespace {

using nlohmann::json;

merge::SourceSnapshot Snapshot(int64_t ms, const std::vector<std::pair<std::string, json>>& r) {
  merge::SourceSnapshot s{"src", FromUnixMillis(ms), {}};
  for (const auto& [key, fields] : r) s.records.push_back({key, fields});
  return s;
}

// A change's JSON text (canonical, as stored) read back.
json Tree(std::string_view text) { return json::parse(text); }

const storage::ChangeText* ChangeOf(const SourceRecords::Diff& diff, const std::string& key) {
  for (const auto& c : diff.update.changes) {
    if (c.key == key) return &c;
  }
  return nullptr;
}

TEST(SourceRecords, FirstSnapshotAddsEveryRecord) {
  SourceRecords records;
  const auto s = Snapshot(1000, {{"a", {{"name", "A"}, {"n", 1}}}, {"b", {{"name", "B"}}}});
  const auto diff = records.Compare(s);
  ASSERT_EQ(diff.update.changes.size(), 2u);
  const auto* a = ChangeOf(diff, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->op, "added");
  EXPECT_EQ(diff.update.source_id, "src");
  EXPECT_EQ(a->before, "null");
  EXPECT_EQ(Tree(a->after), json({{"name", "A"}, {"n", 1}}));
  EXPECT_EQ(Tree(a->fields), json({{"n", {{"before", nullptr}, {"after", 1}}},
                                   {"name", {{"before", nullptr}, {"after", "A"}}}}));
  EXPECT_EQ(diff.update.record_count, 2u);
  EXPECT_EQ(diff.update.fetched_at, FromUnixMillis(1000));
  records.Apply(diff);
  EXPECT_EQ(records.size(), 2u);
  EXPECT_EQ(records.fetched_at(), FromUnixMillis(1000));
  ASSERT_TRUE(records.Find("a"));
  EXPECT_EQ(records.Find("a")->changed_at, FromUnixMillis(1000));
}

TEST(SourceRecords, NextSnapshotReportsAddedRemovedAndChangedFields) {
  SourceRecords records;
  records.Apply(records.Compare(Snapshot(
      1000, {{"same", {{"x", 1}}}, {"gone", {{"x", 2}}}, {"edit", {{"x", 3}, {"y", "old"}}}})));
  const auto next = Snapshot(
      2000, {{"same", {{"x", 1}}}, {"edit", {{"x", 3}, {"y", "new"}, {"z", true}}}, {"new", {}}});
  const auto diff = records.Compare(next);
  // Ordered by key; the unchanged record is not reported.
  std::vector<std::string> keys;
  for (const auto& c : diff.update.changes) keys.push_back(c.key + ":" + c.op);
  EXPECT_EQ(keys, (std::vector<std::string>{"edit:changed", "gone:removed", "new:added"}));
  const auto* edit = ChangeOf(diff, "edit");
  EXPECT_EQ(Tree(edit->before), json({{"x", 3}, {"y", "old"}}));
  EXPECT_EQ(Tree(edit->after), json({{"x", 3}, {"y", "new"}, {"z", true}}));
  // Field level: only the fields that differ, each with before and after.
  EXPECT_EQ(Tree(edit->fields), json({{"y", {{"before", "old"}, {"after", "new"}}},
                                      {"z", {{"before", nullptr}, {"after", true}}}}));
  const auto* gone = ChangeOf(diff, "gone");
  EXPECT_EQ(Tree(gone->before), json({{"x", 2}}));
  EXPECT_EQ(gone->after, "null");
  EXPECT_EQ(Tree(gone->fields), json({{"x", {{"before", 2}, {"after", nullptr}}}}));
  EXPECT_EQ(diff.update.removed, (std::vector<std::string>{"gone"}));
  EXPECT_EQ(diff.update.upserts.size(), 2u);  // edit and new, not same
  EXPECT_EQ(diff.update.record_count, 3u);
  // Before, byte for byte the text kept until now (the view index computes the record's old
  // view key from it).
  EXPECT_EQ(edit->before, records.Find("edit")->fields);
  EXPECT_EQ(gone->before, records.Find("gone")->fields);
  records.Apply(diff);
  EXPECT_FALSE(records.Find("gone"));
  EXPECT_EQ(records.Find("same")->changed_at, FromUnixMillis(1000));  // content unchanged
  EXPECT_EQ(records.Find("edit")->changed_at, FromUnixMillis(2000));
  EXPECT_EQ(records.fetched_at(), FromUnixMillis(2000));  // every record was fetched then
  // The same snapshot again: nothing changed.
  EXPECT_TRUE(records.Compare(next).update.changes.empty());
}

TEST(SourceRecords, FieldOrderIsNoChangeAndALaterDuplicateKeyIsIgnored) {
  SourceRecords records;
  records.Apply(records.Compare(Snapshot(1000, {{"k", json::parse(R"({"a":1,"b":2})")}})));
  const auto diff = records.Compare(
      Snapshot(2000, {{"k", json::parse(R"({"b":2,"a":1})")}, {"k", json::parse(R"({"a":9})")}}));
  EXPECT_TRUE(diff.update.changes.empty());
  EXPECT_EQ(diff.update.record_count, 1u);
}

TEST(SourceRecords, TheFirstRecordOfAKeyWinsWhetherTheKeyIsNewOrStored) {
  SourceRecords records;
  // New keys: the first of each is added, and counted once.
  auto diff = records.Compare(
      Snapshot(1000, {{"n", {{"a", 1}}}, {"n", {{"a", 2}}}, {"k", {{"a", 1}}}, {"n", {{"a", 3}}}}));
  ASSERT_EQ(diff.update.changes.size(), 2u);
  EXPECT_EQ(diff.update.record_count, 2u);
  ASSERT_NE(ChangeOf(diff, "n"), nullptr);
  EXPECT_EQ(Tree(ChangeOf(diff, "n")->after), json({{"a", 1}}));
  records.Apply(diff);
  // A stored key: its first record changes it, the later one (equal to the stored) is ignored.
  diff = records.Compare(Snapshot(2000, {{"k", {{"a", 9}}}, {"k", {{"a", 1}}}, {"n", {{"a", 1}}}}));
  ASSERT_EQ(diff.update.changes.size(), 1u);
  EXPECT_EQ(diff.update.changes[0].key, "k");
  EXPECT_EQ(diff.update.changes[0].op, "changed");
  EXPECT_EQ(Tree(diff.update.changes[0].after), json({{"a", 9}}));
  EXPECT_EQ(diff.update.record_count, 2u);
  records.Apply(diff);
  EXPECT_EQ(records.Find("k")->fields, R"({"a":9})");
}

TEST(FieldsTextHash, TellsTextsApartAndIsNeverZero) {
  EXPECT_EQ(merge::FieldsTextHash(R"({"x":1})"), merge::FieldsTextHash(R"({"x":1})"));
  EXPECT_NE(merge::FieldsTextHash(R"({"x":1})"), merge::FieldsTextHash(R"({"x":2})"));
  EXPECT_NE(merge::FieldsTextHash(""), 0u);
  merge::Record r{"k", json::object()};
  std::string scratch;
  EXPECT_EQ(merge::FieldsTextHashOf(r, scratch), merge::FieldsTextHash("{}"));  // written
  merge::SetFieldsText(r, R"({"x":1})");
  EXPECT_EQ(r.fields_text, R"({"x":1})");
  EXPECT_EQ(r.fields_text_hash, merge::FieldsTextHash(R"({"x":1})"));
  EXPECT_EQ(merge::FieldsTextHashOf(r, scratch), r.fields_text_hash);
}

// A record that comes with its text's hash is compared by the hash alone: an unchanged one's
// text is not read (here it has none), a changed one's is, for the change row.
TEST(SourceRecords, ARecordWithItsHashIsComparedByIt) {
  SourceRecords records;
  records.Apply(records.Compare(Snapshot(1000, {{"same", {{"x", 1}}}, {"edit", {{"x", 2}}}})));
  merge::SourceSnapshot next{"src", FromUnixMillis(2000), {}};
  merge::Record same{"same", json(json::value_t::discarded)};
  same.fields_text_hash = merge::FieldsTextHash(R"({"x":1})");  // and no text at all
  next.records.push_back(same);
  merge::Record edit{"edit", json(json::value_t::discarded)};
  merge::SetFieldsText(edit, R"({"x":3})");
  next.records.push_back(edit);
  const auto diff = records.Compare(next);
  ASSERT_EQ(diff.update.changes.size(), 1u);
  const auto* c = ChangeOf(diff, "edit");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->op, "changed");
  EXPECT_EQ(Tree(c->fields), json({{"x", {{"before", 2}, {"after", 3}}}}));
  records.Apply(diff);
  EXPECT_EQ(records.Find("edit")->fields, R"({"x":3})");
  EXPECT_EQ(records.Find("same")->fields, R"({"x":1})");
}

TEST(SourceRecords, ConfirmMovesOnlyTheFetchTime) {
  SourceRecords records;
  records.Apply(records.Compare(Snapshot(1000, {{"k", {{"a", 1}}}})));
  const auto diff = records.Confirm("src", FromUnixMillis(5000));
  EXPECT_TRUE(diff.update.changes.empty());
  EXPECT_TRUE(diff.update.upserts.empty());
  EXPECT_EQ(diff.update.record_count, 1u);
  EXPECT_EQ(diff.update.fetched_at, FromUnixMillis(5000));
  records.Apply(diff);
  EXPECT_EQ(records.fetched_at(), FromUnixMillis(5000));
  EXPECT_EQ(records.Find("k")->changed_at, FromUnixMillis(1000));
}

TEST(SourceRecords, LoadKeepsTheStoredTimes) {
  SourceRecords records;
  records.Load({{"k", R"({ "a": 1 })", FromUnixMillis(700)}}, FromUnixMillis(900));
  EXPECT_EQ(records.fetched_at(), FromUnixMillis(900));
  EXPECT_EQ(records.Find("k")->fields, R"({"a":1})");
  EXPECT_EQ(records.Find("k")->changed_at, FromUnixMillis(700));
  EXPECT_TRUE(records.Compare(Snapshot(1000, {{"k", {{"a", 1}}}})).update.changes.empty());
}

// The records are packed into one buffer with an open-addressing table (see the header):
// snapshots that add, change and remove records in every pattern, against a plain map of what
// each snapshot held. Removals shift table cells back and garbage gets packed away; a lookup or
// walk that went wrong anywhere would differ from the map.
TEST(SourceRecords, ManySnapshotsKeepExactlyTheLatestRecords) {
  SourceRecords records;
  std::mt19937 rng(7);
  std::map<std::string, std::string> latest;  // key -> canonical fields text
  // Where each key was kept after the generation before: hints that this generation's changes
  // and packing may have made stale.
  std::map<std::string, SourceRecords::Hint> hints;
  // Keys of 5 to 29 bytes: shorter and longer than the part of a key its slot holds.
  auto KeyName = [](int n) {
    return "key-" + std::to_string(n) + (n % 3 == 0 ? std::string(n % 23, '=') : "");
  };
  for (int generation = 1; generation <= 400; ++generation) {
    // Each key of a pool of 400 is in the snapshot with a probability that changes with the
    // generation (from almost all to almost none), with one of three values.
    const int keep_percent = generation % 10 == 0 ? 3 : 20 + (generation * 37) % 80;
    merge::SourceSnapshot s{"src", FromUnixMillis(generation), {}};
    std::map<std::string, std::string> next;
    for (int k = 0; k < 400; ++k) {
      if (static_cast<int>(rng() % 100) >= keep_percent) continue;
      const std::string key = KeyName(k * 7919 % 1000);
      const json fields = {{"n", static_cast<int>(rng() % 3)}, {"pad", std::string(k % 50, 'x')}};
      s.records.push_back({key, fields});
      // A third of the records come with their text and its hash, as from a worker's reply, a
      // third with the text alone; the rest are written (and hashed) by Compare.
      if (k % 3 == 0) merge::SetFieldsText(s.records.back(), CanonicalJson(fields));
      if (k % 3 == 1) s.records.back().fields_text = CanonicalJson(fields);
      next[key] = CanonicalJson(fields);
    }
    const auto diff = records.Compare(s);
    for (const auto& c : diff.update.changes) {
      const bool was = latest.count(c.key) != 0, is = next.count(c.key) != 0;
      EXPECT_EQ(c.op, !was ? "added" : !is ? "removed" : "changed") << c.key;
    }
    records.Apply(diff);
    latest = std::move(next);
    ASSERT_EQ(records.size(), latest.size()) << "generation " << generation;
    std::map<std::string, std::string> walked;
    records.ForEach([&](std::string_view key, std::string_view fields) {
      EXPECT_TRUE(walked.emplace(std::string(key), std::string(fields)).second) << key;
    });
    ASSERT_EQ(walked, latest) << "generation " << generation;
    for (int k = 0; k < 1000; ++k) {
      const std::string key = KeyName(k);
      const auto found = records.Find(key);
      const auto it = latest.find(key);
      ASSERT_EQ(found.has_value(), it != latest.end()) << key << " generation " << generation;
      if (found) {
        EXPECT_EQ(found->fields, it->second) << key;
      }
      // By a hint, stale or not, or another key's: the same.
      const auto hint = hints.find(key);
      for (const SourceRecords::Hint h :
           {hint != hints.end() ? hint->second : SourceRecords::kNoHint,
            static_cast<SourceRecords::Hint>(k), SourceRecords::kNoHint - 1}) {
        const auto by_hint = records.FindHinted(key, h);
        ASSERT_EQ(by_hint.has_value(), found.has_value()) << key << " hint " << h;
        if (found) {
          EXPECT_EQ(by_hint->fields, found->fields) << key << " hint " << h;
        }
      }
    }
    hints.clear();
    records.ForEachHinted([&](SourceRecords::Hint h, std::string_view key, std::string_view) {
      hints[std::string(key)] = h;
      EXPECT_EQ(records.FindHinted(key, h)->fields, latest.at(std::string(key))) << key;
    });
  }
}

// After a restart the stored records come back in key order, not in the order the source lists
// them. The first snapshot after that keeps them in its order (a changed or new record goes to
// the end), so the next one finds each record in the slot after the previous one's.
TEST(SourceRecords, RecordsAreKeptInTheOrderTheSnapshotListsThem) {
  auto key = [](int i) {
    std::string k = std::to_string(i);
    return "k" + std::string(6 - k.size(), '0') + k;
  };
  std::vector<storage::StoredRecord> stored;
  for (int i = 0; i < 2000; ++i) {
    stored.push_back({key(i), CanonicalJson({{"n", i}}), FromUnixMillis(500)});
  }
  SourceRecords records;
  records.Load(stored, FromUnixMillis(900));

  std::vector<int> order(2000);
  for (int i = 0; i < 2000; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(11));
  const int removed = order[5], changed = order[10];
  merge::SourceSnapshot s{"src", FromUnixMillis(1000), {}};
  std::vector<std::string> expected, moved;  // the kept order: unchanged ones, then the rest
  for (size_t p = 0; p < order.size(); ++p) {
    const int i = order[p];
    if (p == 1000) {
      s.records.push_back({"new", {{"n", -2}}});
      moved.push_back("new");
    }
    if (i == removed) continue;
    s.records.push_back({key(i), {{"n", i == changed ? -1 : i}}});
    (i == changed ? moved : expected).push_back(key(i));
  }
  expected.insert(expected.end(), moved.begin(), moved.end());

  auto diff = records.Compare(s);
  EXPECT_EQ(diff.update.changes.size(), 3u);
  EXPECT_FALSE(diff.snapshot_order.empty());
  records.Apply(diff);
  std::vector<std::string> walked;
  records.ForEach([&](std::string_view k, std::string_view) { walked.emplace_back(k); });
  EXPECT_EQ(walked, expected);
  EXPECT_EQ(records.Find(key(changed))->fields, R"({"n":-1})");
  EXPECT_EQ(records.Find("new")->fields, R"({"n":-2})");
  EXPECT_FALSE(records.Find(key(removed)).has_value());
  EXPECT_EQ(records.Find(key(order[0]))->fields, "{\"n\":" + std::to_string(order[0]) + "}");

  // The same snapshot again: nothing changed, and every record was where it was expected.
  s.fetched_at = FromUnixMillis(2000);
  const auto again = records.Compare(s);
  EXPECT_TRUE(again.update.changes.empty());
  EXPECT_TRUE(again.snapshot_order.empty());
  EXPECT_EQ(again.update.record_count, 2000u);
}

}  // namespace
}  // namespace tributary::service
