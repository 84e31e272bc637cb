#include "service/storage/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/service/storage/storage_test_util.hpp"

namespace tributary::storage {
namespace {

using test_util::MakeFetch;
using test_util::MakeMerged;
using test_util::MakeRecord;
using test_util::OpenOrDie;
using test_util::TempDir;

merge::SourceSnapshot MakeSnapshot(const std::string& source, int64_t fetched_ms,
                                   const std::vector<std::string>& keys) {
  merge::SourceSnapshot s;
  s.source_id = source;
  s.fetched_at = FromUnixMillis(fetched_ms);
  for (const auto& key : keys) s.records.push_back(MakeRecord(key, {{"title", key}}));
  return s;
}

std::vector<std::string> Keys(const merge::SourceSnapshot& s) {
  std::vector<std::string> keys;
  for (const auto& r : s.records) keys.push_back(r.key);
  return keys;
}

int64_t CountFetchRows(const TempDir& dir, const std::string& source, const char* what) {
  auto conn = SqliteConnection::Open(dir.DbPath(), SqliteConnection::Mode::kReadOnly);
  EXPECT_TRUE(conn.ok());
  auto n = (*conn)->QueryInt(
      std::string("SELECT ") + what + " FROM fetches WHERE source_id = '" + source + "'", "test");
  EXPECT_TRUE(n.ok());
  return *n;
}

class StorageSqliteStore : public ::testing::Test {
 protected:
  TempDir dir_;
  std::unique_ptr<SqliteStore> store_ = OpenOrDie(dir_.path());
};

TEST_F(StorageSqliteStore, FetchWithoutSnapshotRecordsOnlyTheFetch) {
  FetchLog fetch = MakeFetch("books", 1764077927123, 503);
  fetch.error = "HTTP 503 from https://example.org/books";
  fetch.error_class = "retryable";
  ASSERT_TRUE(store_->CommitFetch(fetch, nullptr).ok());

  auto last = store_->LastFetch("books");
  ASSERT_TRUE(last.ok()) << last.error().message;
  ASSERT_TRUE(last->has_value());
  const FetchLog& got = **last;
  EXPECT_EQ(got.source_id, "books");
  EXPECT_EQ(got.started, fetch.started);
  EXPECT_EQ(got.http_status, 503);
  EXPECT_EQ(got.duration_ms, 12);
  EXPECT_EQ(got.bytes, 3456u);
  EXPECT_FALSE(got.record_count.has_value());
  EXPECT_EQ(got.error, fetch.error);
  EXPECT_EQ(got.error_class, "retryable");

  auto snapshot = store_->LoadSnapshot("books");
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->source_id, "books");
  EXPECT_EQ(snapshot->fetched_at, SystemTime{});
  EXPECT_TRUE(snapshot->records.empty());
}

TEST_F(StorageSqliteStore, UnknownSourceHasNoFetchAndAnEmptySnapshot) {
  auto last = store_->LastFetch("nobody");
  ASSERT_TRUE(last.ok());
  EXPECT_FALSE(last->has_value());
  auto snapshot = store_->LoadSnapshot("nobody");
  ASSERT_TRUE(snapshot.ok());
  EXPECT_TRUE(snapshot->records.empty());
}

TEST_F(StorageSqliteStore, SnapshotRoundTripsFieldsAndOddKeys) {
  merge::SourceSnapshot snapshot;
  snapshot.source_id = "books";
  snapshot.fetched_at = FromUnixMillis(1764077927123);
  snapshot.records = {
      MakeRecord("Dune", {{"title", "Dune"}, {"year", 1965}, {"rating", 4.25}}),
      MakeRecord(R"(["Dune","1965"])", {{"tags", {"sf", "classic"}}, {"note", nullptr}}),
      MakeRecord("quote \" and \\ and '", {{"ok", true}}),
      MakeRecord("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\xa6\x80",
                 {{"title", "\xe6\x97\xa5\xe6\x9c\xac"}}),
      MakeRecord("empty fields", nlohmann::json::object()),
  };
  FetchLog fetch = MakeFetch("books", 1764077927000);
  fetch.record_count = snapshot.records.size();
  ASSERT_TRUE(store_->CommitFetch(fetch, &snapshot).ok());

  auto loaded = store_->LoadSnapshot("books");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->source_id, "books");
  EXPECT_EQ(loaded->fetched_at, snapshot.fetched_at);
  ASSERT_EQ(loaded->records.size(), snapshot.records.size());
  auto expected = snapshot.records;
  std::sort(expected.begin(), expected.end(),
            [](const auto& a, const auto& b) { return a.key < b.key; });
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(loaded->records[i].key, expected[i].key);
    EXPECT_EQ(loaded->records[i].fields, expected[i].fields) << expected[i].key;
  }
  auto last = store_->LastFetch("books");
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->record_count, std::optional<uint64_t>(5));
}

TEST_F(StorageSqliteStore, ASnapshotReplacesTheSourcesRecordsOnly) {
  auto a1 = MakeSnapshot("a", 1000, {"k1", "k2", "k3"});
  auto a2 = MakeSnapshot("a", 2000, {"k3", "k4"});
  auto b = MakeSnapshot("b", 1500, {"k1"});
  ASSERT_TRUE(store_->CommitFetch(MakeFetch("a", 1000), &a1).ok());
  ASSERT_TRUE(store_->CommitFetch(MakeFetch("b", 1500), &b).ok());
  ASSERT_TRUE(store_->CommitFetch(MakeFetch("a", 2000), &a2).ok());
  // A failed fetch (no snapshot) keeps the last good records.
  ASSERT_TRUE(store_->CommitFetch(MakeFetch("a", 3000, 500), nullptr).ok());

  auto loaded_a = store_->LoadSnapshot("a");
  ASSERT_TRUE(loaded_a.ok());
  EXPECT_EQ(Keys(*loaded_a), (std::vector<std::string>{"k3", "k4"}));
  EXPECT_EQ(loaded_a->fetched_at, FromUnixMillis(2000));
  auto loaded_b = store_->LoadSnapshot("b");
  ASSERT_TRUE(loaded_b.ok());
  EXPECT_EQ(Keys(*loaded_b), (std::vector<std::string>{"k1"}));
  EXPECT_EQ((*store_->LastFetch("a"))->http_status, 500);
}

TEST_F(StorageSqliteStore, DuplicateKeysInASnapshotKeepTheLast) {
  merge::SourceSnapshot s = MakeSnapshot("a", 1000, {"k1"});
  s.records.push_back(MakeRecord("k1", {{"title", "second"}}));
  ASSERT_TRUE(store_->CommitFetch(MakeFetch("a", 1000), &s).ok());
  auto loaded = store_->LoadSnapshot("a");
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->records.size(), 1u);
  EXPECT_EQ(loaded->records[0].fields["title"], "second");
}

TEST_F(StorageSqliteStore, RefusesASnapshotOfAnotherSource) {
  auto other = MakeSnapshot("b", 1000, {"k1"});
  Status s = store_->CommitFetch(MakeFetch("a", 1000), &other);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().error_class, ErrorClass::kPermanent);
  EXPECT_FALSE(store_->LastFetch("a")->has_value());
}

TEST_F(StorageSqliteStore, FetchLogKeepsTheLatest100PerSource) {
  for (int i = 0; i < 130; ++i) {
    ASSERT_TRUE(store_->CommitFetch(MakeFetch("a", 1000 + i), nullptr).ok());
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store_->CommitFetch(MakeFetch("b", 5000 + i), nullptr).ok());
  }
  EXPECT_EQ(CountFetchRows(dir_, "a", "count(*)"), 100);
  EXPECT_EQ(CountFetchRows(dir_, "a", "min(started_ms)"), 1030);
  EXPECT_EQ(CountFetchRows(dir_, "b", "count(*)"), 3);
  EXPECT_EQ((*store_->LastFetch("a"))->started, FromUnixMillis(1129));
  EXPECT_EQ((*store_->LastFetch("b"))->started, FromUnixMillis(5002));
}

TEST_F(StorageSqliteStore, EverythingSurvivesCloseAndReopen) {
  auto snapshot = MakeSnapshot("a", 1000, {"k1", "k2"});
  ASSERT_TRUE(store_->CommitFetch(MakeFetch("a", 1000), &snapshot).ok());
  ASSERT_TRUE(store_->ReplaceViewRecords("v", {MakeMerged("k1", {{"title", "x"}})}).ok());
  store_.reset();

  store_ = OpenOrDie(dir_.path());
  auto loaded = store_->LoadSnapshot("a");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(Keys(*loaded), (std::vector<std::string>{"k1", "k2"}));
  auto last = store_->LastFetch("a");
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->started, FromUnixMillis(1000));
  EXPECT_EQ(*store_->CountViewRecords("v"), 1u);
}

// A write that cannot fit (max_page_count stands in for a full disk) fails as a retryable
// error and leaves the previous fetch and snapshot exactly as they were.
TEST_F(StorageSqliteStore, AFailedCommitLeavesThePreviousStateIntact) {
  auto small = MakeSnapshot("books", 1000, {"k1", "k2", "k3"});
  FetchLog first = MakeFetch("books", 1000);
  first.record_count = 3;
  ASSERT_TRUE(store_->CommitFetch(first, &small).ok());

  merge::SourceSnapshot big;
  big.source_id = "books";
  big.fetched_at = FromUnixMillis(2000);
  for (int i = 0; i < 5000; ++i) {
    big.records.push_back(MakeRecord("big" + std::to_string(i), {{"text", std::string(200, 'x')}}));
  }
  // The limit cannot go below the current size, so this freezes the file at its size.
  ASSERT_TRUE(store_->ExecForTesting("PRAGMA max_page_count = 1").ok());
  Status failed = store_->CommitFetch(MakeFetch("books", 2000), &big);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().error_class, ErrorClass::kRetryable);
  EXPECT_EQ(failed.error().message, "commit fetch for source books: database or disk is full");

  auto loaded = store_->LoadSnapshot("books");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(Keys(*loaded), (std::vector<std::string>{"k1", "k2", "k3"}));
  EXPECT_EQ(loaded->fetched_at, FromUnixMillis(1000));
  auto last = store_->LastFetch("books");
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->started, FromUnixMillis(1000));

  // Once there is room again the same write goes through.
  ASSERT_TRUE(store_->ExecForTesting("PRAGMA max_page_count = 1073741823").ok());
  ASSERT_TRUE(store_->CommitFetch(MakeFetch("books", 2000), &big).ok());
  EXPECT_EQ(store_->LoadSnapshot("books")->records.size(), 5000u);
}

TEST_F(StorageSqliteStore, AFailedViewReplaceLeavesThePreviousRecords) {
  ASSERT_TRUE(store_->ReplaceViewRecords("v", {MakeMerged("k1", {{"t", 1}})}).ok());
  std::vector<merge::MergedRecord> big;
  for (int i = 0; i < 5000; ++i) {
    big.push_back(MakeMerged("big" + std::to_string(i), {{"text", std::string(200, 'x')}}));
  }
  ASSERT_TRUE(store_->ExecForTesting("PRAGMA max_page_count = 1").ok());
  Status failed = store_->ReplaceViewRecords("v", big);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().error_class, ErrorClass::kRetryable);
  EXPECT_NE(failed.error().message.find("replace records of view v: "), std::string::npos);
  EXPECT_NE(failed.error().message.find("full"), std::string::npos);
  EXPECT_EQ(*store_->CountViewRecords("v"), 1u);
  EXPECT_EQ(store_->ViewRecords("v", "", 10)->records.at(0).key, "k1");
}

TEST_F(StorageSqliteStore, ErrorsNameTheOperationAndSqlitesReason) {
  ASSERT_TRUE(store_->ExecForTesting("DROP TABLE fetches").ok());
  Status s = store_->CommitFetch(MakeFetch("books", 1000), nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "commit fetch for source books: no such table: fetches");
  EXPECT_EQ(s.error().error_class, ErrorClass::kPermanent);
  auto last = store_->LastFetch("books");
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.error().message, "read last fetch of source books: no such table: fetches");
}

TEST_F(StorageSqliteStore, WritableTellsWhetherAWriteSucceeds) {
  EXPECT_TRUE(store_->Writable());
  ASSERT_TRUE(store_->ExecForTesting("PRAGMA query_only = 1").ok());
  EXPECT_FALSE(store_->Writable());
  ASSERT_TRUE(store_->ExecForTesting("PRAGMA query_only = 0").ok());
  EXPECT_TRUE(store_->Writable());
}

// In WAL mode a write transaction in progress neither blocks readers (they would fail with
// SQLITE_BUSY after the busy timeout) nor shows them its uncommitted changes.
TEST_F(StorageSqliteStore, ReadsSeeOnlyCommittedStateAndDoNotWaitForTheWriter) {
  auto snapshot = MakeSnapshot("a", 1000, {"k1", "k2"});
  ASSERT_TRUE(store_->CommitFetch(MakeFetch("a", 1000), &snapshot).ok());
  ASSERT_TRUE(store_->ReplaceViewRecords("v", {MakeMerged("k1", {{"t", 1}})}).ok());

  ASSERT_TRUE(store_
                  ->ExecForTesting("BEGIN IMMEDIATE; DELETE FROM source_records; "
                                   "DELETE FROM view_records; DELETE FROM fetches;")
                  .ok());
  auto loaded = store_->LoadSnapshot("a");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->records.size(), 2u);
  auto count = store_->CountViewRecords("v");
  ASSERT_TRUE(count.ok()) << count.error().message;
  EXPECT_EQ(*count, 1u);
  auto last = store_->LastFetch("a");
  ASSERT_TRUE(last.ok()) << last.error().message;
  EXPECT_TRUE(last->has_value());
  ASSERT_TRUE(store_->ExecForTesting("ROLLBACK").ok());
}

}  // namespace
}  // namespace tributary::storage
