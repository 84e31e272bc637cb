// The daemon's metrics as a scrape shows them: the fetch engine's events (FetchMetrics) and the
// scrape-time collector (pool counts as counters, records and conflicts per configured view).
#include "service/daemon_metrics.hpp"

#include <gtest/gtest.h>

#include "service/fetch_metrics.hpp"
#include "service/storage/sqlite_store.hpp"
#include "tests/service/storage/storage_test_util.hpp"

namespace tributary::service {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(FetchMetricsTest, EventsBecomeLabelledSamples) {
  metrics::Registry registry;
  FetchMetrics m(registry);
  m.OnRetry("shop", "host:a.example");
  m.OnRetry("shop", "host:a.example");
  m.OnRetry("feed", "group:news");
  m.OnRobotsDenied("private");
  m.OnCircuitState("host:a.example", fetchers::CircuitState::kClosed);
  m.OnCircuitState("group:news", fetchers::CircuitState::kOpen);
  m.OnCircuitState("group:news", fetchers::CircuitState::kHalfOpen);
  const std::string text = registry.Expose();
  EXPECT_TRUE(Has(text, "# TYPE tributary_fetch_retries_total counter")) << text;
  EXPECT_TRUE(
      Has(text, "tributary_fetch_retries_total{source=\"shop\",group=\"host:a.example\"} 2"))
      << text;
  EXPECT_TRUE(Has(text, "tributary_fetch_retries_total{source=\"feed\",group=\"group:news\"} 1"));
  EXPECT_TRUE(Has(text, "# TYPE tributary_robots_denials_total counter"));
  EXPECT_TRUE(Has(text, "tributary_robots_denials_total{source=\"private\"} 1"));
  EXPECT_TRUE(Has(text, "# TYPE tributary_circuit_state gauge"));
  EXPECT_TRUE(Has(text, "tributary_circuit_state{group=\"host:a.example\"} 0"));
  EXPECT_TRUE(Has(text, "tributary_circuit_state{group=\"group:news\"} 1"));
}

TEST(DaemonCollectorTest, PoolCountsAreCountersAndViewsComeFromTheStore) {
  storage::test_util::TempDir dir;
  auto store = storage::test_util::OpenOrDie(dir.path());
  auto records =
      std::vector<merge::MergedRecord>{storage::test_util::MakeMerged("a", {{"title", "a"}}),
                                       storage::test_util::MakeMerged("b", {{"title", "b"}})};
  records[1].conflicts.push_back({"price", {{"s1", 1}, {"s2", 2}}});
  ASSERT_TRUE(store->ReplaceViewRecords("books", records).ok());
  ASSERT_TRUE(store->ReplaceViewRecords("gone", records).ok());

  merge::pool::PoolStats stats;
  stats.processes = 2;
  stats.jobs_submitted = 7;
  stats.jobs_completed = 5;
  stats.respawns = 1;
  std::vector<std::string> views = {"books", "empty", "gone"};
  metrics::Registry registry;
  DaemonMetricInputs inputs;
  inputs.pool_stats = [&] { return stats; };
  inputs.db_path = dir.DbPath();
  inputs.store = store.get();
  inputs.view_ids = [&] { return views; };
  const int id = AddDaemonCollector(registry, std::move(inputs));

  std::string text = registry.Expose();
  EXPECT_TRUE(Has(text, "# TYPE tributary_pool_jobs_total counter")) << text;
  EXPECT_TRUE(Has(text, "tributary_pool_jobs_total{outcome=\"submitted\"} 7"));
  EXPECT_TRUE(Has(text, "tributary_pool_jobs_total{outcome=\"completed\"} 5"));
  EXPECT_TRUE(Has(text, "# TYPE tributary_pool_respawns_total counter"));
  EXPECT_TRUE(Has(text, "tributary_pool_respawns_total 1"));
  EXPECT_TRUE(Has(text, "tributary_pool_workers 2"));
  EXPECT_TRUE(Has(text, "tributary_view_records{view=\"books\"} 2"));
  EXPECT_TRUE(Has(text, "tributary_merge_conflicts{view=\"books\"} 1"));
  EXPECT_TRUE(Has(text, "tributary_merge_conflicts{view=\"empty\"} 0"));
  EXPECT_TRUE(Has(text, "tributary_merge_conflicts{view=\"gone\"} 1"));
  EXPECT_EQ(text.find("tributary_pool_jobs{"), std::string::npos) << "no gauge of a count";

  // The next scrape copies the new totals; a view no longer configured has no samples.
  stats.jobs_completed = 6;
  views = {"books"};
  text = registry.Expose();
  EXPECT_TRUE(Has(text, "tributary_pool_jobs_total{outcome=\"completed\"} 6")) << text;
  EXPECT_EQ(text.find("view=\"gone\""), std::string::npos) << text;
  registry.RemoveCollector(id);
}

}  // namespace
}  // namespace tributary::service
