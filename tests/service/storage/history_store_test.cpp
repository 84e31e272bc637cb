// Merge results and the change history in the SQLite store: one-transaction ingest commits,
// gap-free sequence numbers, as-of reads, coverage, conflicts, pruning, and failed writes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/json_text.hpp"
#include "service/storage/sqlite_store.hpp"
#include "tests/service/storage/storage_test_util.hpp"

namespace tributary::storage {
namespace {

using nlohmann::json;
using test_util::MakeFetch;
using test_util::OpenOrDie;
using test_util::TempDir;

// A source's change as SourceRecords::Compare renders it (its source is the update's).
ChangeText MakeChange(const std::string& key, const std::string& op, const json& before,
                      const json& after) {
  ChangeText c;
  c.key = key;
  c.op = op;
  c.before = CanonicalJson(before);
  c.after = CanonicalJson(after);
  return c;
}

merge::MergedRecord Merged(const std::string& key, json fields,
                           std::vector<merge::FieldConflict> conflicts = {}) {
  merge::MergedRecord r;
  r.key = key;
  r.fields = std::move(fields);
  r.sources = {"a", "b"};
  r.provenance["name"] = {"a", FromUnixMillis(1000), {}};
  r.conflicts = std::move(conflicts);
  return r;
}

// A view's change as the merge job renders it; `record`: the merged record after it.
ViewChange MakeViewChange(const std::string& key, const std::string& op, const json& before,
                          const json& after, const merge::MergedRecord* record) {
  ViewChange c;
  c.key = key;
  c.op = op;
  c.before = before.dump();
  c.after = after.dump();
  if (op == "added") c.fields = "";  // as the merge job leaves it (ChangeText::fields)
  if (record != nullptr) c.record = merge::RenderText(*record).Whole();
  return c;
}

// One ingest: source "a" now has `key` with `name`, and view "v" merged it.
IngestBatch Batch(const std::string& key, const std::string& name, int64_t time_ms,
                  const std::string& op = "added", json before = nullptr) {
  IngestBatch b;
  b.time = FromUnixMillis(time_ms);
  b.fetch = MakeFetch("a", time_ms);
  b.fetch->record_count = 1;
  SourceUpdate s;
  s.source_id = "a";
  s.fetched_at = FromUnixMillis(time_ms);
  s.upserts.push_back({key, CanonicalJson({{"name", name}}), FromUnixMillis(time_ms)});
  s.changes.push_back(MakeChange(key, op, before, {{"name", name}}));
  b.source = std::move(s);
  ViewUpdate v;
  v.view_id = "v";
  v.definition = R"({"id":"v"})";
  const merge::MergedRecord merged = Merged(key, {{"name", name}});
  v.upserts.push_back(merge::RenderText(merged));
  v.key_upserts.push_back({key, {"a"}, {}});
  v.changes.push_back(MakeViewChange(key, op, before, {{"name", name}}, &merged));
  b.views.push_back(std::move(v));
  return b;
}

class StorageHistory : public ::testing::Test {
 protected:
  TempDir dir_;
  std::unique_ptr<SqliteStore> store_ = OpenOrDie(dir_.path());
};

TEST_F(StorageHistory, IngestStoresEverythingWithGapFreeSequence) {
  int64_t notified = 0;
  store_->SetChangeListener([&](int64_t seq) { notified = seq; });
  auto first = store_->CommitIngest(Batch("TR", "Turkey", 1000));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->first_seq, 1);
  EXPECT_EQ(first->last_seq, 2);
  EXPECT_EQ(notified, 2);
  auto second =
      store_->CommitIngest(Batch("TR", "Türkiye", 2000, "changed", json{{"name", "Turkey"}}));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->first_seq, 3);
  EXPECT_EQ(second->last_seq, 4);

  auto page = store_->ChangesSince(0, 100, {});
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->changes.size(), 4u);
  for (size_t i = 0; i < page->changes.size(); ++i) {
    EXPECT_EQ(page->changes[i].seq, static_cast<int64_t>(i + 1));
  }
  EXPECT_EQ(page->scanned_to, 4);
  // The view's added record, stored without its field diff, reads back with it spelled out.
  EXPECT_EQ(page->changes[1].view_id, "v");
  EXPECT_EQ(page->changes[1].fields, json({{"name", {{"after", "Turkey"}, {"before", nullptr}}}}));
  EXPECT_EQ(page->changes[3].view_id, "v");
  EXPECT_EQ(page->changes[3].before, json({{"name", "Turkey"}}));
  EXPECT_EQ(page->changes[3].after, json({{"name", "Türkiye"}}));
  EXPECT_EQ(*store_->LatestChangeSeq(), 4);

  // Filters: only the source's changes; a page limit leaves scanned_to at the last one.
  auto of_source = store_->ChangesSince(0, 100, ChangeFilter{{}, {"a"}});
  ASSERT_TRUE(of_source.ok());
  ASSERT_EQ(of_source->changes.size(), 2u);
  EXPECT_EQ(of_source->changes[1].seq, 3);
  EXPECT_EQ(of_source->scanned_to, 4);
  auto limited = store_->ChangesSince(1, 2, {});
  ASSERT_EQ(limited->changes.size(), 2u);
  EXPECT_EQ(limited->scanned_to, 3);

  auto records = store_->LoadSourceRecords("a");
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].fields_text, R"({"name":"Türkiye"})");
  EXPECT_EQ((*records)[0].changed_at, FromUnixMillis(2000));
  EXPECT_EQ(**store_->ViewDefinition("v"), R"({"id":"v"})");
  auto last = store_->LastFetch("a");
  ASSERT_TRUE(last.ok() && *last);
  EXPECT_EQ((*last)->started, FromUnixMillis(2000));
}

TEST_F(StorageHistory, AsOfReadsAndRecordHistory) {
  ASSERT_TRUE(store_->CommitIngest(Batch("TR", "Turkey", 1000)).ok());
  ASSERT_TRUE(
      store_->CommitIngest(Batch("TR", "Türkiye", 3000, "changed", json{{"name", "Turkey"}})).ok());
  auto at = [&](int64_t ms) -> std::string {
    auto r = store_->ViewRecordAsOf("v", "TR", FromUnixMillis(ms));
    EXPECT_TRUE(r.ok());
    return r.ok() && *r ? (**r).fields.value("name", "") : "<none>";
  };
  EXPECT_EQ(at(500), "<none>");
  EXPECT_EQ(at(1000), "Turkey");
  EXPECT_EQ(at(2999), "Turkey");
  EXPECT_EQ(at(3000), "Türkiye");
  auto now = store_->ViewRecord("v", "TR");
  ASSERT_TRUE(now.ok() && *now);
  EXPECT_EQ((**now).fields["name"], "Türkiye");
  EXPECT_EQ((**now).provenance.at("name").source, "a");

  auto history = store_->RecordHistory("v", "", "TR", 10);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].op, "changed");  // newest first
  EXPECT_EQ((*history)[1].op, "added");
  auto source_history = store_->RecordHistory("", "a", "TR", 10);
  ASSERT_EQ(source_history->size(), 2u);
  EXPECT_EQ((*source_history)[0].source_id, "a");

  // Removal: as-of after it finds nothing.
  IngestBatch removal;
  removal.time = FromUnixMillis(5000);
  ViewUpdate v;
  v.view_id = "v";
  v.removed.push_back("TR");
  v.key_removed.push_back("TR");
  v.changes.push_back(MakeViewChange("TR", "removed", {{"name", "Türkiye"}}, nullptr, nullptr));
  removal.views.push_back(v);
  ASSERT_TRUE(store_->CommitIngest(removal).ok());
  EXPECT_EQ(at(4000), "Türkiye");
  EXPECT_EQ(at(6000), "<none>");
  EXPECT_FALSE(*store_->ViewRecord("v", "TR"));
}

TEST_F(StorageHistory, CoverageAndConflicts) {
  IngestBatch b;
  b.time = FromUnixMillis(1000);
  ViewUpdate v;
  v.view_id = "v";
  v.upserts.push_back(merge::RenderText(
      Merged("CI", {{"name", "Ivory Coast"}},
             {{"name", {{"a", "Ivory Coast"}, {"b", "Côte d'Ivoire"}}}})));
  v.upserts.push_back(merge::RenderText(Merged("FR", {{"name", "France"}})));
  v.key_upserts = {
      {"CI", {"a", "b"}, {}}, {"FR", {"a", "b"}, {}}, {"XK", {"a"}, {{"a", {"XK", "xk"}}}}};
  b.views.push_back(v);
  ASSERT_TRUE(store_->CommitIngest(b).ok());

  auto coverage = store_->Coverage("v");
  ASSERT_TRUE(coverage.ok()) << coverage.error().message;
  EXPECT_EQ(coverage->keys, 3u);
  ASSERT_EQ(coverage->combinations.size(), 2u);
  EXPECT_EQ(coverage->combinations[0].sources, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(coverage->combinations[0].keys, 2u);
  EXPECT_EQ(coverage->combinations[1].keys, 1u);
  ASSERT_EQ(coverage->duplicates.size(), 1u);
  EXPECT_EQ(coverage->duplicates[0].duplicates.at("a"), (std::vector<std::string>{"XK", "xk"}));
  auto keys = store_->CoverageKeys("v", {"a", "b"}, "", 10);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(*keys, (std::vector<std::string>{"CI", "FR"}));
  EXPECT_EQ(*store_->CoverageKeys("v", {"a", "b"}, "CI", 10), (std::vector<std::string>{"FR"}));

  auto conflicts = store_->ViewConflicts("v", "", 10);
  ASSERT_TRUE(conflicts.ok());
  ASSERT_EQ(conflicts->records.size(), 1u);
  EXPECT_EQ(conflicts->records[0].key, "CI");
  ASSERT_EQ(conflicts->records[0].conflicts.size(), 1u);
  EXPECT_EQ(conflicts->records[0].conflicts[0].values.at("b"), "Côte d'Ivoire");
  // Records carry their conflicts in ordinary reads too.
  auto page = store_->ViewRecords("v", "", 10);
  ASSERT_EQ(page->records.size(), 2u);
  EXPECT_EQ(page->records[0].conflicts.size(), 1u);

  // A full recompute replaces the keys.
  IngestBatch again;
  again.time = FromUnixMillis(2000);
  ViewUpdate r;
  r.view_id = "v";
  r.replace_keys = true;
  r.key_upserts = {{"FR", {"b"}, {}}};
  again.views.push_back(r);
  ASSERT_TRUE(store_->CommitIngest(again).ok());
  EXPECT_EQ(store_->Coverage("v")->keys, 1u);
}

TEST_F(StorageHistory, PruningKeepsEachRecordsLatestChange) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_
                    ->CommitIngest(Batch("K", "v" + std::to_string(i), 1000 * (i + 1),
                                         i == 0 ? "added" : "changed"))
                    .ok());
  }
  ASSERT_TRUE(store_->CommitIngest(Batch("L", "x", 1000)).ok());
  // By age: everything before t=4500 goes, except L's only (latest) change.
  auto pruned = store_->PruneHistory(FromUnixMillis(4500), std::nullopt, 1000, std::nullopt);
  ASSERT_TRUE(pruned.ok()) << pruned.error().message;
  EXPECT_EQ(pruned->removed, 8u);  // K: 4 of 5 versions, in source and view
  EXPECT_FALSE(pruned->more);
  auto history = store_->RecordHistory("v", "", "K", 10);
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ(history->front().after["name"], "v4");
  EXPECT_EQ(store_->RecordHistory("v", "", "L", 10)->size(), 1u);
  // As-of still answers for the kept versions.
  EXPECT_TRUE(*store_->ViewRecordAsOf("v", "L", FromUnixMillis(1500)));

  // By versions, in small batches.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        store_->CommitIngest(Batch("K", "w" + std::to_string(i), 10000 + i, "changed")).ok());
  }
  uint64_t removed = 0;
  for (;;) {
    auto p = store_->PruneHistory(std::nullopt, 2, 1, std::nullopt);
    ASSERT_TRUE(p.ok());
    removed += p->removed;
    if (!p->more) break;
  }
  EXPECT_EQ(removed, 4u);  // K had 4 versions in source and in view; 2 each remain
  EXPECT_EQ(store_->RecordHistory("v", "", "K", 10)->size(), 2u);
}

TEST_F(StorageHistory, AFailedCommitLeavesEverythingAsItWas) {
  ASSERT_TRUE(store_->CommitIngest(Batch("TR", "Turkey", 1000)).ok());
  // A big batch on a database that may not grow: the write fails as on a full disk.
  auto reader = SqliteConnection::Open(dir_.DbPath(), SqliteConnection::Mode::kReadOnly);
  ASSERT_TRUE(reader.ok());
  const int64_t pages = *(*reader)->QueryInt("PRAGMA page_count", "test");
  ASSERT_TRUE(store_->ExecForTesting("PRAGMA max_page_count = " + std::to_string(pages)).ok());
  IngestBatch big = Batch("TR", "Türkiye", 2000, "changed", json{{"name", "Turkey"}});
  for (int i = 0; i < 2000; ++i) {
    big.source->upserts.push_back({"k" + std::to_string(i),
                                   CanonicalJson({{"name", std::string(200, 'x')}}),
                                   FromUnixMillis(2000)});
    big.source->changes.push_back(
        MakeChange("k" + std::to_string(i), "added", nullptr, {{"name", "x"}}));
  }
  auto failed = store_->CommitIngest(big);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("commit ingest for source a"), std::string::npos)
      << failed.error().message;
  EXPECT_EQ(*store_->LatestChangeSeq(), 2);
  EXPECT_EQ(store_->LoadSourceRecords("a")->size(), 1u);
  EXPECT_EQ((**store_->ViewRecord("v", "TR")).fields["name"], "Turkey");
  EXPECT_EQ((*store_->LastFetch("a"))->started, FromUnixMillis(1000));

  // Room again: the retry succeeds and the sequence continues without a gap.
  ASSERT_TRUE(store_->ExecForTesting("PRAGMA max_page_count = 1073741823").ok());
  auto retried = store_->CommitIngest(big);
  ASSERT_TRUE(retried.ok()) << retried.error().message;
  EXPECT_EQ(retried->first_seq, 3);
  EXPECT_EQ(*(*reader)->QueryText("PRAGMA integrity_check", "test"), "ok");
}

// Pruning leaves alone what a webhook has still to deliver: nothing after `keep_after` goes,
// whatever its age or version; the rest is pruned as usual.
TEST_F(StorageHistory, PruningKeepsChangesNotYetDelivered) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_
                    ->CommitIngest(Batch("K", "v" + std::to_string(i), 1000 * (i + 1),
                                         i == 0 ? "added" : "changed"))
                    .ok());
  }
  // Seqs 1..10 (source and view change per ingest); a webhook delivered up to 4.
  auto pruned = store_->PruneHistory(FromUnixMillis(100000), 1, 1000, int64_t{4});
  ASSERT_TRUE(pruned.ok()) << pruned.error().message;
  EXPECT_EQ(pruned->removed, 4u);  // seqs 1..4 only
  auto rest = store_->ChangesSince(0, 100, {});
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->changes.size(), 6u);
  EXPECT_EQ(rest->changes.front().seq, 5);
  // Delivered: the older versions go too, each record's latest stays.
  pruned = store_->PruneHistory(FromUnixMillis(100000), 1, 1000, int64_t{10});
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(pruned->removed, 4u);
  EXPECT_EQ(store_->ChangesSince(0, 100, {})->changes.size(), 2u);
}

// No stored cursor is not cursor 0: a webhook that has delivered nothing of a history starting
// at seq 1 must resume at seq 1, not be mistaken for a new webhook.
TEST_F(StorageHistory, AWebhookCursorOfZeroIsNotNoCursor) {
  auto none = store_->WebhookCursor("hook");
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(store_->SetWebhookCursor("hook", 0).ok());
  auto zero = store_->WebhookCursor("hook");
  ASSERT_TRUE(zero.ok());
  ASSERT_TRUE(zero->has_value());
  EXPECT_EQ(**zero, 0);
  ASSERT_TRUE(store_->SetWebhookCursor("hook", 7).ok());
  EXPECT_EQ(**store_->WebhookCursor("hook"), 7);
  EXPECT_FALSE(store_->WebhookCursor("other")->has_value());
}

}  // namespace
}  // namespace tributary::storage
