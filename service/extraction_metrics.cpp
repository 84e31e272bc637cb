#include "service/extraction_metrics.hpp"

namespace tributary::service {

using merge::pool::FailureCause;
using merge::pool::FailureCauseName;
using merge::pool::kFailureCauses;

int AddExtractionCollector(metrics::Registry& r, std::function<merge::pool::PoolStats()> pool_stats,
                           const ExtractionGuard& guard) {
  // Counts kept since start (by the pool and the guard), copied as they are: counters.
  auto& losses =
      r.CounterFamily("tributary_pool_worker_losses_total",
                      "Workers lost while running a job since start, by cause.", {"cause"});
  auto& brake = r.GaugeFamily("tributary_pool_brake_active",
                              "1 while the crash-loop brake delays worker respawns.");
  auto& delay = r.GaugeFamily("tributary_pool_respawn_delay_seconds",
                              "The crash-loop brake's current respawn delay.");
  auto& spawn_failures = r.CounterFamily("tributary_pool_spawn_failures_total",
                                         "Worker processes that could not be started.");
  auto& shared = r.CounterFamily("tributary_pool_shared_bodies_total",
                                 "Documents passed to a worker as a sealed memfd since start.");
  auto& jobs =
      r.CounterFamily("tributary_extraction_jobs_total",
                      "Extraction jobs since start by source and outcome.", {"source", "outcome"});
  auto& source_losses = r.CounterFamily("tributary_extraction_worker_losses_total",
                                        "Workers lost extracting a source's documents, by cause.",
                                        {"source", "cause"});
  auto& quarantined = r.GaugeFamily("tributary_extraction_quarantined",
                                    "1 while the source's document is quarantined.", {"source"});
  auto& quarantines =
      r.CounterFamily("tributary_extraction_quarantines_total",
                      "Documents of the source quarantined since start.", {"source"});
  auto& skips = r.CounterFamily("tributary_extraction_quarantine_skips_total",
                                "Parses skipped because the document is quarantined.", {"source"});
  return r.AddCollector([=, &guard, &losses, &brake, &delay, &spawn_failures, &shared, &jobs,
                         &source_losses, &quarantined, &quarantines, &skips] {
    const auto s = pool_stats();
    for (FailureCause c : kFailureCauses) {
      losses.With({FailureCauseName(c)}).SetTotal(static_cast<double>(s.Losses(c)));
    }
    brake.With({}).Set(s.brake_active ? 1 : 0);
    delay.With({}).Set(static_cast<double>(s.respawn_delay_ms) / 1000.0);
    spawn_failures.With({}).SetTotal(static_cast<double>(s.spawn_failures));
    shared.With({}).SetTotal(static_cast<double>(s.shared_bodies));
    for (const auto& [id, x] : guard.AllSourceStats()) {
      jobs.With({id, "completed"}).SetTotal(static_cast<double>(x.completed));
      jobs.With({id, "failed"}).SetTotal(static_cast<double>(x.failed));
      jobs.With({id, "retried"}).SetTotal(static_cast<double>(x.retried));
      // From a source's first loss of that cause on: four zero series per source would be
      // 40,000 series for 10,000 sources; pool_worker_losses_total has every cause from start.
      for (FailureCause c : kFailureCauses) {
        const uint64_t lost = x.losses[static_cast<size_t>(c)];
        if (lost == 0) continue;
        source_losses.With({id, FailureCauseName(c)}).SetTotal(static_cast<double>(lost));
      }
      quarantined.With({id}).Set(x.current ? 1 : 0);
      quarantines.With({id}).SetTotal(static_cast<double>(x.quarantines));
      skips.With({id}).SetTotal(static_cast<double>(x.skipped));
    }
  });
}

}  // namespace tributary::service
