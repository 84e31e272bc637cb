// The history pruner against a real store: a round removes what the retention allows in
// batches of HistoryPruner::kBatch, each its own task on the writer's queue, so ingestion that
// arrives meanwhile waits for one batch, never for the whole round. The test runs both
// io_contexts itself, one handler at a time, to see the order in which the writer runs them.
#include "service/history_pruner.hpp"
#include "common/json_text.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <string>

#include "merge/record.hpp"
#include "tests/service/storage/storage_test_util.hpp"

namespace tributary::service {
namespace {

using nlohmann::json;
using storage::test_util::OpenOrDie;
using storage::test_util::TempDir;

// One fetch of source "a" that sets `keys` keys ("K0", "K1", ...) to version `version` (added
// at version 0, changed after), merged into view "v" with the same fields.
storage::IngestBatch Version(int keys, int version) {
  const int64_t time_ms = 1'000'000 + version * 1000;
  storage::IngestBatch b;
  b.time = FromUnixMillis(time_ms);
  b.fetch = storage::test_util::MakeFetch("a", time_ms);
  b.fetch->record_count = keys;
  storage::SourceUpdate s;
  s.source_id = "a";
  s.fetched_at = FromUnixMillis(time_ms);
  storage::ViewUpdate v;
  v.view_id = "v";
  v.definition = R"({"id":"v"})";
  const std::string op = version == 0 ? "added" : "changed";
  for (int k = 0; k < keys; ++k) {
    const std::string key = "K" + std::to_string(k);
    const json before = version == 0 ? json() : json{{"n", version - 1}};
    const json after = {{"n", version}};
    s.upserts.push_back({key, CanonicalJson(after), FromUnixMillis(time_ms)});
    storage::ChangeText c;
    c.key = key;
    c.op = op;
    c.before = CanonicalJson(before);
    c.after = CanonicalJson(after);
    s.changes.push_back(std::move(c));
    merge::MergedRecord merged;
    merged.key = key;
    merged.fields = after;
    merged.sources = {"a"};
    merged.provenance["n"] = {"a", FromUnixMillis(time_ms), {}};
    v.upserts.push_back(merge::RenderText(merged));
    v.key_upserts.push_back({key, {"a"}, {}});
    storage::ViewChange vc;
    vc.key = key;
    vc.op = op;
    vc.before = before.dump();
    vc.after = after.dump();
    vc.record = merge::RenderText(merged).Whole();
    v.changes.push_back(std::move(vc));
  }
  b.source = std::move(s);
  b.views.push_back(std::move(v));
  return b;
}

size_t HistoryRows(storage::Store& store) {
  auto page = store.ChangesSince(0, 1'000'000, {});
  EXPECT_TRUE(page.ok());
  return page.ok() ? page->changes.size() : 0;
}

TEST(HistoryPruner, PrunesInBatchesWithIngestionRunningBetweenThem) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  constexpr int kKeys = 2500;
  for (int version = 0; version < 3; ++version) {
    ASSERT_TRUE(store->CommitIngest(Version(kKeys, version)).ok());
  }
  // Three versions of every key, in the source's and the view's history.
  const size_t before = HistoryRows(*store);
  ASSERT_EQ(before, 3u * 2 * kKeys);

  auto cfg = std::make_shared<config::Config>();
  cfg->history.max_versions = 1;
  cfg->history.prune_every = std::chrono::milliseconds(1);
  boost::asio::io_context timer_io;
  boost::asio::io_context writer_io;
  HistoryPruner pruner(timer_io, writer_io, *store, [cfg] { return cfg; });
  pruner.Start();
  auto start_round = [&] {
    timer_io.restart();                 // it ran out of work after the last round began
    ASSERT_EQ(timer_io.run_one(), 1u);  // arms the timer
    ASSERT_EQ(timer_io.run_one(), 1u);  // it fires: the round goes to the writer's queue
  };
  start_round();
  ASSERT_EQ(writer_io.run_one(), 1u);  // the round's first batch, which queues the second
  EXPECT_EQ(HistoryRows(*store), before - HistoryPruner::kBatch);

  // A fetch result arrives while the round is under way: it is queued behind the batch already
  // queued, and ahead of the batch after that.
  bool ingested = false;
  size_t rows_seen_by_ingest = 0;
  boost::asio::post(writer_io, [&] {
    ASSERT_TRUE(store->CommitIngest(Version(1, 3)).ok());  // K0 changes again
    rows_seen_by_ingest = HistoryRows(*store);
    ingested = true;
  });
  ASSERT_EQ(writer_io.run_one(), 1u);  // the second batch
  EXPECT_FALSE(ingested);
  ASSERT_EQ(writer_io.run_one(), 1u);  // the fetch result, before the third batch
  ASSERT_TRUE(ingested);
  EXPECT_EQ(rows_seen_by_ingest, before - 2 * HistoryPruner::kBatch + 2);

  // The rest of the round, and one more: every key keeps its latest version only, K0 the one
  // stored during the round.
  writer_io.run();
  writer_io.restart();
  start_round();
  writer_io.run();
  EXPECT_EQ(HistoryRows(*store), 2u * kKeys);
  auto k0 = store->RecordHistory("v", "", "K0", 10);
  ASSERT_TRUE(k0.ok());
  ASSERT_EQ(k0->size(), 1u);
  EXPECT_EQ(k0->front().after["n"], 3);
  auto k1 = store->RecordHistory("v", "", "K1", 10);
  ASSERT_TRUE(k1.ok());
  ASSERT_EQ(k1->size(), 1u);
  EXPECT_EQ(k1->front().after["n"], 2);

  pruner.Stop();
  timer_io.restart();
  timer_io.run();
}

}  // namespace
}  // namespace tributary::service
