#pragma once
// Prometheus metrics of the worker pool's failure handling and of extraction per source, copied
// at each scrape from WorkerPool::Stats() and ExtractionGuard (the daemon-wide pool gauges are
// in daemon_metrics). Counts since start are counters (_total), states are gauges:
//   tributary_pool_worker_losses_total{cause}              crash, timeout, oom, protocol
//   tributary_pool_brake_active, tributary_pool_respawn_delay_seconds
//   tributary_pool_spawn_failures_total, tributary_pool_shared_bodies_total
//   tributary_extraction_jobs_total{source,outcome}        completed, failed, retried
//   tributary_extraction_worker_losses_total{source,cause}
//   tributary_extraction_quarantined{source}               1 while the source's document is
//   tributary_extraction_quarantines_total{source}         documents quarantined since start
//   tributary_extraction_quarantine_skips_total{source}    parses skipped for a quarantined one
// Thread safety: the collector runs on the scraping thread; both inputs are thread-safe.

#include <functional>

#include "merge/pool/pool_stats.hpp"
#include "service/extraction_guard.hpp"
#include "service/metrics/registry.hpp"

namespace tributary::service {

// Registers the collector; returns its id for Registry::RemoveCollector (call it before the
// guard or the pool goes away).
int AddExtractionCollector(metrics::Registry& registry,
                           std::function<merge::pool::PoolStats()> pool_stats,
                           const ExtractionGuard& guard);

}  // namespace tributary::service
