// The daemon's metrics as a scrape shows them: the scrape-time collector exports the pool's
// counts since start as counters.
#include "service/daemon_metrics.hpp"

#include <gtest/gtest.h>

namespace tributary::service {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(DaemonCollectorTest, PoolCountsAreCounters) {
  merge::pool::PoolStats stats;
  stats.processes = 2;
  stats.jobs_submitted = 7;
  stats.jobs_completed = 5;
  stats.respawns = 1;
  metrics::Registry registry;
  const int id = AddDaemonCollector(
      registry, [&] { return stats; }, "/nonexistent/db");

  std::string text = registry.Expose();
  EXPECT_TRUE(Has(text, "# TYPE tributary_pool_jobs_total counter")) << text;
  EXPECT_TRUE(Has(text, "tributary_pool_jobs_total{outcome=\"submitted\"} 7"));
  EXPECT_TRUE(Has(text, "tributary_pool_jobs_total{outcome=\"completed\"} 5"));
  EXPECT_TRUE(Has(text, "# TYPE tributary_pool_respawns_total counter"));
  EXPECT_TRUE(Has(text, "tributary_pool_respawns_total 1"));
  EXPECT_TRUE(Has(text, "tributary_pool_workers 2"));
  EXPECT_EQ(text.find("tributary_pool_jobs{"), std::string::npos) << "no gauge of a count";

  // The next scrape copies the new totals.
  stats.jobs_completed = 6;
  text = registry.Expose();
  EXPECT_TRUE(Has(text, "tributary_pool_jobs_total{outcome=\"completed\"} 6")) << text;
  registry.RemoveCollector(id);
}

}  // namespace
}  // namespace tributary::service
