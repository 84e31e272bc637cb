#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "service/storage/sqlite_store.hpp"
#include "service/storage/view_cursor.hpp"
#include "tests/service/storage/storage_test_util.hpp"

namespace tributary::storage {
namespace {

using test_util::MakeMerged;
using test_util::OpenOrDie;
using test_util::TempDir;

// 37 keys: plain, numeric-looking, composite, quotes, non-ASCII, near-duplicates.
std::vector<std::string> OddKeys() {
  std::vector<std::string> keys = {
      "Dune",
      "dune",
      "Dune ",
      R"(["Dune","1965"])",
      "quote \" x",
      "back\\slash",
      "caf\xc3\xa9",
      "cafe",
      "\xe6\x97\xa5\xe6\x9c\xac",
      "\xf0\x9f\xa6\x80",
      "10",
      "9",
      "a/b?c=d&e",
      "~",
  };
  for (int i = 0; keys.size() < 37; ++i) keys.push_back("k" + std::to_string(i));
  return keys;
}

std::vector<merge::MergedRecord> RecordsFor(const std::vector<std::string>& keys) {
  std::vector<merge::MergedRecord> records;
  for (const auto& key : keys) records.push_back(MakeMerged(key, {{"title", key}}));
  return records;
}

// Reads a whole view page by page; checks page sizes along the way.
std::vector<std::string> ReadAll(Store& store, const std::string& view, size_t limit) {
  std::vector<std::string> keys;
  std::string cursor;
  for (int pages = 0; pages < 10000; ++pages) {
    auto page = store.ViewRecords(view, cursor, limit);
    EXPECT_TRUE(page.ok()) << page.error().message;
    if (!page.ok()) break;
    for (const auto& r : page->records) keys.push_back(r.key);
    if (page->next_cursor.empty()) break;
    EXPECT_EQ(page->records.size(), limit);
    cursor = page->next_cursor;
  }
  return keys;
}

class StorageViewRecords : public ::testing::Test {
 protected:
  TempDir dir_;
  std::unique_ptr<SqliteStore> store_ = OpenOrDie(dir_.path());
};

TEST_F(StorageViewRecords, RoundTripsMergedRecords) {
  merge::MergedRecord r;
  r.key = "Dune \"1965\"";
  r.fields = {{"title", "Dune"}, {"year", 1965}, {"tags", {"sf"}}, {"price", nullptr}};
  r.sources = {"shop", "library"};
  r.provenance["title"] = {"shop", FromUnixMillis(1764077927123)};
  r.provenance["year"] = {"library", FromUnixMillis(1764077000000)};
  ASSERT_TRUE(store_->ReplaceViewRecords("books", {r}).ok());

  auto page = store_->ViewRecords("books", "", 10);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_TRUE(page->next_cursor.empty());
  const auto& got = page->records[0];
  EXPECT_EQ(got.key, r.key);
  EXPECT_EQ(got.fields, r.fields);
  EXPECT_EQ(got.sources, r.sources);
  ASSERT_EQ(got.provenance.size(), 2u);
  EXPECT_EQ(got.provenance.at("title").source, "shop");
  EXPECT_EQ(got.provenance.at("title").fetched_at, FromUnixMillis(1764077927123));
  EXPECT_EQ(got.provenance.at("year").source, "library");
}

TEST_F(StorageViewRecords, PagesReturnEveryRecordOnceInKeyOrder) {
  const auto keys = OddKeys();
  ASSERT_TRUE(store_->ReplaceViewRecords("v", RecordsFor(keys)).ok());
  auto sorted = keys;
  std::sort(sorted.begin(), sorted.end());  // byte order, as SQLite's BINARY collation
  EXPECT_EQ(*store_->CountViewRecords("v"), 37u);
  for (size_t limit : {1, 2, 3, 5, 10, 36, 37, 38, 1000}) {
    EXPECT_EQ(ReadAll(*store_, "v", limit), sorted) << "limit " << limit;
  }
}

TEST_F(StorageViewRecords, CursorsAreUrlSafe) {
  ASSERT_TRUE(store_->ReplaceViewRecords("v", RecordsFor(OddKeys())).ok());
  std::string cursor;
  do {
    auto page = store_->ViewRecords("v", cursor, 1);
    ASSERT_TRUE(page.ok());
    cursor = page->next_cursor;
    for (char c : cursor)
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << cursor;
  } while (!cursor.empty());
}

TEST_F(StorageViewRecords, ACursorStaysPutWhenRecordsChangeAroundIt) {
  std::vector<std::string> keys;
  for (int i = 0; i < 20; ++i)
    keys.push_back("k" + std::string(i < 10 ? "0" : "") + std::to_string(i));
  ASSERT_TRUE(store_->ReplaceViewRecords("v", RecordsFor(keys)).ok());
  auto first = store_->ViewRecords("v", "", 5);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->records.back().key, "k04");

  // Added before and after the cursor position, and the cursor's own key removed.
  auto changed = keys;
  changed.erase(changed.begin() + 4);
  changed.push_back("k02a");
  changed.push_back("k10a");
  ASSERT_TRUE(store_->ReplaceViewRecords("v", RecordsFor(changed)).ok());

  std::vector<std::string> rest;
  std::string cursor = first->next_cursor;
  while (!cursor.empty()) {
    auto page = store_->ViewRecords("v", cursor, 5);
    ASSERT_TRUE(page.ok());
    for (const auto& r : page->records) rest.push_back(r.key);
    cursor = page->next_cursor;
  }
  const std::vector<std::string> expected = {"k05",  "k06", "k07", "k08", "k09", "k10",
                                             "k10a", "k11", "k12", "k13", "k14", "k15",
                                             "k16",  "k17", "k18", "k19"};
  EXPECT_EQ(rest, expected);
}

TEST_F(StorageViewRecords, AnInvalidCursorIsAPermanentError) {
  ASSERT_TRUE(store_->ReplaceViewRecords("v", RecordsFor({"a", "b"})).ok());
  for (const std::string cursor : {"garbage!", "bm90IGpzb24", "eyJ2IjoyLCJhZnRlciI6ImEifQ"}) {
    auto page = store_->ViewRecords("v", cursor, 10);
    ASSERT_FALSE(page.ok()) << cursor;
    EXPECT_EQ(page.error().error_class, ErrorClass::kPermanent);
    EXPECT_EQ(page.error().message, "invalid cursor");
  }
}

TEST_F(StorageViewRecords, ACursorPastTheEndGivesAnEmptyLastPage) {
  ASSERT_TRUE(store_->ReplaceViewRecords("v", RecordsFor({"a", "b"})).ok());
  auto page = store_->ViewRecords("v", EncodeViewCursor("zzz"), 10);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->records.empty());
  EXPECT_TRUE(page->next_cursor.empty());
}

TEST_F(StorageViewRecords, AZeroLimitDoesNotCrash) {
  ASSERT_TRUE(store_->ReplaceViewRecords("v", RecordsFor({"a", "b"})).ok());
  auto page = store_->ViewRecords("v", "", 0);
  ASSERT_TRUE(page.ok());
  EXPECT_LE(page->records.size(), 1u);
}

TEST_F(StorageViewRecords, ReplacingAViewLeavesOtherViewsAlone) {
  ASSERT_TRUE(store_->ReplaceViewRecords("v", RecordsFor({"a", "b", "c"})).ok());
  ASSERT_TRUE(store_->ReplaceViewRecords("w", RecordsFor({"x"})).ok());
  ASSERT_TRUE(store_->ReplaceViewRecords("v", RecordsFor({"c", "d"})).ok());
  EXPECT_EQ(ReadAll(*store_, "v", 10), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(ReadAll(*store_, "w", 10), (std::vector<std::string>{"x"}));
  ASSERT_TRUE(store_->ReplaceViewRecords("v", {}).ok());
  EXPECT_EQ(*store_->CountViewRecords("v"), 0u);
  EXPECT_EQ(*store_->CountViewRecords("unknown"), 0u);
  auto page = store_->ViewRecords("v", "", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->records.empty());
  EXPECT_TRUE(page->next_cursor.empty());
}

TEST_F(StorageViewRecords, CountsConflictingRecordsPerView) {
  auto records = RecordsFor({"a", "b", "c"});
  records[0].conflicts.push_back({"title", {{"s1", "a"}, {"s2", "A"}}});
  records[2].conflicts.push_back({"title", {{"s1", "c"}, {"s2", "C"}}});
  ASSERT_TRUE(store_->ReplaceViewRecords("v", records).ok());
  ASSERT_TRUE(store_->ReplaceViewRecords("w", RecordsFor({"a"})).ok());
  EXPECT_EQ(*store_->CountViewConflicts("v"), 2u);
  EXPECT_EQ(*store_->CountViewConflicts("w"), 0u);
  EXPECT_EQ(*store_->CountViewConflicts("unknown"), 0u);
  // Once the sources agree again, the record no longer counts.
  records[0].conflicts.clear();
  ASSERT_TRUE(store_->ReplaceViewRecords("v", records).ok());
  EXPECT_EQ(*store_->CountViewConflicts("v"), 1u);
  EXPECT_EQ(*store_->CountViewRecords("v"), 3u);
}

}  // namespace
}  // namespace tributary::storage

namespace tributary::storage {
namespace {

// Readers cache on CommittedGeneration: it must grow with every commit, stay put on reads, and
// not move for a write that failed (nothing was committed).
TEST(StorageCommittedGeneration, GrowsWithEachCommitOnly) {
  test_util::TempDir dir;
  auto store = test_util::OpenOrDie(dir.path());
  const auto start = store->CommittedGeneration();
  ASSERT_TRUE(start.has_value());

  ASSERT_TRUE(store->ReplaceViewRecords("v", RecordsFor({"a", "b"})).ok());
  const auto after_write = store->CommittedGeneration();
  EXPECT_GT(*after_write, *start);

  ASSERT_TRUE(store->ViewRecords("v", "", 10).ok());
  ASSERT_TRUE(store->CountViewRecords("v").ok());
  EXPECT_EQ(store->CommittedGeneration(), after_write);

  ASSERT_TRUE(store->ReplaceViewRecords("v", RecordsFor({"a", "b", "c"})).ok());
  const auto second = store->CommittedGeneration();
  EXPECT_GT(*second, *after_write);

  // A full disk: the write fails and leaves the generation (and the records) as they were.
  ASSERT_TRUE(store->ExecForTesting("PRAGMA max_page_count = 1").ok());
  std::vector<std::string> many;
  for (int i = 0; i < 2000; ++i) many.push_back("key-" + std::to_string(i) + std::string(200, 'x'));
  EXPECT_FALSE(store->ReplaceViewRecords("v", RecordsFor(many)).ok());
  EXPECT_EQ(store->CommittedGeneration(), second);
  EXPECT_EQ(*store->CountViewRecords("v"), 3u);
}

}  // namespace
}  // namespace tributary::storage
