// Readers on their own connections while one writer commits: every read sees one complete
// commit, never a mix, and never goes back in time. No sleeps: readers run until the writer is
// done, then read once more.

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "service/storage/sqlite_store.hpp"
#include "tests/service/storage/storage_test_util.hpp"

namespace tributary::storage {
namespace {

using test_util::MakeFetch;
using test_util::MakeMerged;
using test_util::MakeRecord;
using test_util::OpenOrDie;
using test_util::TempDir;

constexpr int kGenerations = 50;
constexpr int64_t kBaseMs = 1'000'000;

// Generation g has a distinct size, so a mix of two commits shows up in the count.
size_t SizeOf(int g) { return 20 + static_cast<size_t>(g * 37 % 200); }

merge::SourceSnapshot Generation(int g) {
  merge::SourceSnapshot s;
  s.source_id = "books";
  s.fetched_at = FromUnixMillis(kBaseMs + g);
  for (size_t i = 0; i < SizeOf(g); ++i) {
    s.records.push_back(MakeRecord("key" + std::to_string(i), {{"gen", g}, {"i", i}}));
  }
  return s;
}

std::vector<merge::MergedRecord> ViewGeneration(int g) {
  std::vector<merge::MergedRecord> records;
  for (size_t i = 0; i < SizeOf(g); ++i) {
    records.push_back(MakeMerged("key" + std::to_string(i), {{"gen", g}}));
  }
  return records;
}

// Returns the generation seen (-1 before the first commit), or -2 after reporting a failure.
int CheckSnapshot(Store& store) {
  auto s = store.LoadSnapshot("books");
  EXPECT_TRUE(s.ok()) << s.error().message;
  if (!s.ok()) return -2;
  if (s->fetched_at == SystemTime{}) {
    EXPECT_TRUE(s->records.empty());
    return -1;
  }
  const int g = static_cast<int>(ToUnixMillis(s->fetched_at) - kBaseMs);
  EXPECT_EQ(s->records.size(), SizeOf(g)) << "generation " << g;
  for (const auto& r : s->records) {
    if (r.fields.value("gen", -1) != g) {
      ADD_FAILURE() << "record " << r.key << " of generation " << r.fields.value("gen", -1)
                    << " in snapshot of generation " << g;
      return -2;
    }
  }
  return g;
}

int CheckView(Store& store) {
  auto page = store.ViewRecords("v", "", 1000);
  EXPECT_TRUE(page.ok()) << page.error().message;
  if (!page.ok()) return -2;
  if (page->records.empty()) return -1;
  const int g = page->records[0].fields.value("gen", -1);
  EXPECT_EQ(page->records.size(), SizeOf(g)) << "view generation " << g;
  for (const auto& r : page->records) {
    if (r.fields.value("gen", -1) != g) {
      ADD_FAILURE() << "view record " << r.key << " not of generation " << g;
      return -2;
    }
  }
  return g;
}

TEST(StorageConcurrency, ReadersSeeWholeCommitsWhileTheWriterCommits) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  std::atomic<bool> writer_done{false};
  std::atomic<int> readers_started{0};
  std::atomic<int> reads{0};

  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      // Two threads read the source snapshot, two the view.
      auto check = [&] { return t % 2 == 0 ? CheckSnapshot(*store) : CheckView(*store); };
      int last_seen = -1;
      bool first = true;
      for (;;) {
        const bool done = writer_done.load();  // read before the check: the final read is fresh
        const int g = check();
        if (g == -2) return;
        EXPECT_GE(g, last_seen) << "went back in time";
        last_seen = g;
        reads.fetch_add(1);
        if (first) {
          readers_started.fetch_add(1);
          first = false;
        }
        if (done) break;
      }
      EXPECT_EQ(last_seen, kGenerations - 1);
    });
  }

  // Start writing once every reader is reading, so reads and commits overlap.
  while (readers_started.load() < 4) std::this_thread::yield();
  for (int g = 0; g < kGenerations; ++g) {
    const auto snapshot = Generation(g);
    FetchLog fetch = MakeFetch("books", kBaseMs + g);
    fetch.record_count = snapshot.records.size();
    ASSERT_TRUE(store->CommitFetch(fetch, &snapshot).ok());
    ASSERT_TRUE(store->ReplaceViewRecords("v", ViewGeneration(g)).ok());
  }
  writer_done.store(true);
  for (auto& r : readers) r.join();
  EXPECT_GT(reads.load(), 8);
}

}  // namespace
}  // namespace tributary::storage
