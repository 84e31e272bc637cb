// Conditional-request validators (migration 7): stored only with a successful fetch log, in its
// transaction; read back per source and URL; the fetch log keeps how each response was used.
#include <gtest/gtest.h>

#include "service/storage/sqlite_store.hpp"
#include "tests/service/storage/storage_test_util.hpp"

namespace tributary::storage {
namespace {

using test_util::MakeFetch;
using test_util::OpenOrDie;
using test_util::TempDir;

FetchValidators MakeValidators(const std::string& source, const std::string& url,
                               const std::string& etag) {
  FetchValidators v;
  v.source_id = source;
  v.url = url;
  v.etag = etag;
  v.last_modified = "Tue, 03 Nov 2026 10:00:00 GMT";
  v.body_hash = "00112233445566778899aabbccddeeff";
  v.body_bytes = 5000;
  v.wire_bytes = 1200;
  v.definition_hash = "def";
  v.updated = FromUnixMillis(1764077927000);
  return v;
}

class StorageValidators : public ::testing::Test {
 protected:
  TempDir dir_;
  std::unique_ptr<SqliteStore> store_ = OpenOrDie(dir_.path());
};

TEST_F(StorageValidators, NoneUntilAFetchStoresThem) {
  auto none = store_->LoadValidators("feed", "http://a/feed.xml");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_F(StorageValidators, StoredWithASuccessfulFetchAndReadBackByUrl) {
  FetchLog log = MakeFetch("feed", 1764077927123);
  log.outcome = "extracted";
  log.validators = MakeValidators("feed", "http://a/feed.xml", "\"v1\"");
  ASSERT_TRUE(store_->CommitFetch(log, nullptr).ok());

  auto got = store_->LoadValidators("feed", "http://a/feed.xml");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  const FetchValidators& v = **got;
  EXPECT_EQ(v.etag, "\"v1\"");
  EXPECT_EQ(v.last_modified, "Tue, 03 Nov 2026 10:00:00 GMT");
  EXPECT_EQ(v.body_hash, "00112233445566778899aabbccddeeff");
  EXPECT_EQ(v.body_bytes, 5000u);
  EXPECT_EQ(v.wire_bytes, 1200u);
  EXPECT_EQ(v.definition_hash, "def");
  EXPECT_EQ(ToUnixMillis(v.updated), 1764077927000);
  // Another URL of the same source (its configuration changed) has none.
  auto other = store_->LoadValidators("feed", "http://a/other.xml");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());

  // The next response replaces them (one row per source).
  FetchLog next = MakeFetch("feed", 1764077928123, 304);
  next.outcome = "not_modified";
  next.bytes_saved = 1200;
  next.validators = MakeValidators("feed", "http://a/feed.xml", "\"v2\"");
  ASSERT_TRUE(store_->CommitFetch(next, nullptr).ok());
  got = store_->LoadValidators("feed", "http://a/feed.xml");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->etag, "\"v2\"");

  auto last = store_->LastFetch("feed");
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->outcome, "not_modified");
  EXPECT_EQ((*last)->bytes_saved, 1200u);
  EXPECT_EQ((*last)->http_status, 304);
}

TEST_F(StorageValidators, AFailedRunKeepsThePreviousValidators) {
  FetchLog ok = MakeFetch("feed", 1764077927123);
  ok.validators = MakeValidators("feed", "http://a/feed.xml", "\"v1\"");
  ASSERT_TRUE(store_->CommitFetch(ok, nullptr).ok());

  // Extraction (or the health check, or a merge) failed: its snapshot is not stored, so its
  // validators must not be either, or the next 304 would skip against the old records.
  FetchLog failed = MakeFetch("feed", 1764077928123);
  failed.error = "merge failed: worker crashed";
  failed.error_class = "retryable";
  failed.validators = MakeValidators("feed", "http://a/feed.xml", "\"v2\"");
  ASSERT_TRUE(store_->CommitFetch(failed, nullptr).ok());

  auto got = store_->LoadValidators("feed", "http://a/feed.xml");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->etag, "\"v1\"");
}

TEST_F(StorageValidators, CommittedWithTheIngestBatch) {
  IngestBatch batch;
  batch.time = FromUnixMillis(1764077927123);
  batch.fetch = MakeFetch("feed", 1764077927123);
  batch.fetch->outcome = "unchanged";
  batch.fetch->validators = MakeValidators("feed", "http://a/feed.xml", "\"i1\"");
  ASSERT_TRUE(store_->CommitIngest(batch).ok());
  auto got = store_->LoadValidators("feed", "http://a/feed.xml");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->etag, "\"i1\"");
}

}  // namespace
}  // namespace tributary::storage
