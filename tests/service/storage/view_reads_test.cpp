// Reads of a view's merged records report each value's provenance time as its source's latest
// fetch (a fetch that confirmed the snapshot included), without rewriting the records; coverage
// lists the records that have no view key.
#include <gtest/gtest.h>

#include "service/storage/sqlite_store.hpp"
#include "tests/service/storage/storage_test_util.hpp"

namespace tributary::storage {
namespace {

using nlohmann::json;
using test_util::OpenOrDie;
using test_util::TempDir;

// Source `id`'s snapshot (one record) fetched at `ms`; with `records` empty, a fetch that
// confirmed the stored snapshot.
SourceUpdate Fetched(const std::string& id, int64_t ms, std::vector<StoredRecord> records = {}) {
  SourceUpdate s;
  s.source_id = id;
  s.fetched_at = FromUnixMillis(ms);
  s.upserts = std::move(records);
  return s;
}

class StorageViewReads : public ::testing::Test {
 protected:
  void SetUp() override {
    // a and b fetched at 1000; view v merged "k": name from a, avg price from both, and a
    // field from a source the store has no snapshot of.
    IngestBatch b;
    b.time = FromUnixMillis(1000);
    b.source = Fetched("a", 1000, {{"k", R"({"name":"Dune"})", FromUnixMillis(1000)}});
    ASSERT_TRUE(store_->CommitIngest(b).ok());
    IngestBatch c;
    c.time = FromUnixMillis(1000);
    c.source = Fetched("b", 1000, {{"k", R"({"name":"Dune"})", FromUnixMillis(1000)}});
    ViewUpdate v;
    v.view_id = "v";
    merge::MergedRecord r;
    r.key = "k";
    r.fields = {{"name", "Dune"}, {"price", 11}, {"note", "x"}};
    r.sources = {"a", "b"};
    r.provenance["name"] = {"a", FromUnixMillis(1000), {}};
    r.provenance["price"] = {"a", FromUnixMillis(1000), {"a", "b"}};
    r.provenance["note"] = {"gone", FromUnixMillis(500), {}};
    r.conflicts = {{"price", {{"a", 10}, {"b", 12}}}};
    v.upserts.push_back(merge::RenderText(r));
    v.key_upserts.push_back({"k", {"a", "b"}, {}});
    v.changes.push_back({"k", "added", "null", r.fields.dump(), "{}", merge::RenderText(r).Whole()});
    c.views.push_back(v);
    ASSERT_TRUE(store_->CommitIngest(c).ok());
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_ = OpenOrDie(dir_.path());
};

TEST_F(StorageViewReads, ProvenanceTimesFollowTheSourcesLatestFetch) {
  // b is fetched again and confirms its records (a 304): only its fetch time moves on.
  IngestBatch confirm;
  confirm.time = FromUnixMillis(5000);
  confirm.source = Fetched("b", 5000);
  auto receipt = store_->CommitIngest(confirm);
  ASSERT_TRUE(receipt.ok()) << receipt.error().message;
  EXPECT_EQ(receipt->last_seq, 0);  // no change row
  EXPECT_EQ(*store_->SourceFetchTimes(),
            (std::map<std::string, SystemTime>{{"a", FromUnixMillis(1000)},
                                               {"b", FromUnixMillis(5000)}}));
  // The snapshot is kept as it was, with its new time.
  auto snapshot = store_->LoadSnapshot("b");
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->records.size(), 1u);
  EXPECT_EQ(snapshot->fetched_at, FromUnixMillis(5000));
  EXPECT_EQ((*store_->LoadSourceRecords("b"))[0].changed_at, FromUnixMillis(1000));

  auto check = [](const merge::MergedRecord& r, const std::string& how) {
    EXPECT_EQ(r.provenance.at("name").fetched_at, FromUnixMillis(1000)) << how;  // a's
    // Several sources gave it: the latest of their fetches.
    EXPECT_EQ(r.provenance.at("price").fetched_at, FromUnixMillis(5000)) << how;
    // No snapshot of the source: the stored time stays.
    EXPECT_EQ(r.provenance.at("note").fetched_at, FromUnixMillis(500)) << how;
  };
  auto one = store_->ViewRecord("v", "k");
  ASSERT_TRUE(one.ok() && one->has_value());
  check(**one, "ViewRecord");
  auto page = store_->ViewRecords("v", "", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 1u);
  check(page->records[0], "ViewRecords");
  auto conflicts = store_->ViewConflicts("v", "", 10);
  ASSERT_TRUE(conflicts.ok());
  ASSERT_EQ(conflicts->records.size(), 1u);
  check(conflicts->records[0], "ViewConflicts");

  // a is fetched again: name follows.
  IngestBatch again;
  again.time = FromUnixMillis(7000);
  again.source = Fetched("a", 7000);
  ASSERT_TRUE(store_->CommitIngest(again).ok());
  EXPECT_EQ((*store_->ViewRecord("v", "k"))->provenance.at("name").fetched_at,
            FromUnixMillis(7000));
  // As of a time, the record as it was stored then, with the times recorded with it.
  auto then = store_->ViewRecordAsOf("v", "k", FromUnixMillis(1000));
  ASSERT_TRUE(then.ok() && then->has_value());
  EXPECT_EQ((*then)->provenance.at("name").fetched_at, FromUnixMillis(1000));
}

TEST_F(StorageViewReads, AProvenanceStoredOnceForEveryFieldReadsBackForEach) {
  // "s" has every field from a: RenderText stores its provenance once (the shared form).
  IngestBatch b;
  b.time = FromUnixMillis(2000);
  b.source = Fetched("a", 2000);
  ViewUpdate v;
  v.view_id = "v";
  merge::MergedRecord r;
  r.key = "s";
  r.fields = {{"name", "Emma"}, {"price", 7}};
  r.sources = {"a"};
  r.provenance["name"] = {"a", FromUnixMillis(2000), {}};
  r.provenance["price"] = {"a", FromUnixMillis(2000), {}};
  r.conflicts = {{"price", {{"a", 7}, {"b", 8}}}};
  const merge::MergedRecordText text = merge::RenderText(r);
  ASSERT_EQ(text.provenance.front(), '[');
  v.upserts.push_back(text);
  v.key_upserts.push_back({"s", {"a"}, {}});
  v.changes.push_back({"s", "added", "null", r.fields.dump(), "{}", text.Whole()});
  b.views.push_back(v);
  ASSERT_TRUE(store_->CommitIngest(b).ok());
  IngestBatch again;
  again.time = FromUnixMillis(3000);
  again.source = Fetched("a", 3000);
  ASSERT_TRUE(store_->CommitIngest(again).ok());

  auto check = [](const merge::MergedRecord& got, SystemTime at, const std::string& how) {
    ASSERT_EQ(got.provenance.size(), 2u) << how;
    for (const char* field : {"name", "price"}) {
      EXPECT_EQ(got.provenance.at(field).source, "a") << how << " " << field;
      EXPECT_EQ(got.provenance.at(field).fetched_at, at) << how << " " << field;
    }
  };
  auto one = store_->ViewRecord("v", "s");
  ASSERT_TRUE(one.ok() && one->has_value());
  check(**one, FromUnixMillis(3000), "ViewRecord");
  auto page = store_->ViewRecords("v", "", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 2u);
  check(page->records[1], FromUnixMillis(3000), "ViewRecords");
  auto conflicts = store_->ViewConflicts("v", "", 10);
  ASSERT_TRUE(conflicts.ok());
  ASSERT_EQ(conflicts->records.size(), 2u);
  check(conflicts->records[1], FromUnixMillis(3000), "ViewConflicts");
  auto then = store_->ViewRecordAsOf("v", "s", FromUnixMillis(2000));
  ASSERT_TRUE(then.ok() && then->has_value());
  check(**then, FromUnixMillis(2000), "ViewRecordAsOf");
}

TEST_F(StorageViewReads, CoverageListsRecordsWithoutAViewKey) {
  IngestBatch b;
  b.time = FromUnixMillis(2000);
  ViewUpdate v;
  v.view_id = "v";
  v.keyless_upserts = {{"a", "no-code-2"}, {"a", "no-code-1"}, {"b", "x"}};
  b.views.push_back(v);
  ASSERT_TRUE(store_->CommitIngest(b).ok());
  auto coverage = store_->Coverage("v");
  ASSERT_TRUE(coverage.ok()) << coverage.error().message;
  EXPECT_EQ(coverage->keys, 1u);  // keyless records are in no key
  EXPECT_EQ(coverage->without_key, (std::map<std::string, uint64_t>{{"a", 2}, {"b", 1}}));
  EXPECT_EQ(coverage->keyless,
            (std::vector<KeylessRecord>{{"a", "no-code-1"}, {"a", "no-code-2"}, {"b", "x"}}));

  // One gets a key, one more loses it.
  IngestBatch next;
  next.time = FromUnixMillis(3000);
  ViewUpdate w;
  w.view_id = "v";
  w.keyless_removed = {{"a", "no-code-1"}};
  w.keyless_upserts = {{"b", "y"}};
  next.views.push_back(w);
  ASSERT_TRUE(store_->CommitIngest(next).ok());
  EXPECT_EQ(store_->Coverage("v")->without_key,
            (std::map<std::string, uint64_t>{{"a", 1}, {"b", 2}}));

  // A full recompute replaces them; other views keep theirs.
  IngestBatch other;
  other.time = FromUnixMillis(3500);
  ViewUpdate o;
  o.view_id = "other";
  o.keyless_upserts = {{"a", "z"}};
  other.views.push_back(o);
  ASSERT_TRUE(store_->CommitIngest(other).ok());
  IngestBatch full;
  full.time = FromUnixMillis(4000);
  ViewUpdate r;
  r.view_id = "v";
  r.replace_keys = true;
  r.key_upserts = {{"k", {"a", "b"}, {}}};
  r.keyless_upserts = {{"b", "x"}};
  full.views.push_back(r);
  ASSERT_TRUE(store_->CommitIngest(full).ok());
  EXPECT_EQ(store_->Coverage("v")->keyless, (std::vector<KeylessRecord>{{"b", "x"}}));
  EXPECT_EQ(store_->Coverage("other")->keyless, (std::vector<KeylessRecord>{{"a", "z"}}));
}

}  // namespace
}  // namespace tributary::storage
