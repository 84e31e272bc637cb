#pragma once
// The daemon's Prometheus metrics that are not the API's own: fetches (by source, politeness
// group and status), bytes, durations, extraction records and field fill ratios, merges, the
// worker pool, records and conflicts per view, and the store's size. Components call the
// Record* functions where the event happens; the collector copies, at each scrape, what
// components keep themselves (pool stats) or what the store holds (view sizes, file size).
// The fetch engine's own events (retries, robots denials, circuit states) are in fetch_metrics.
// Metric names (all prefixed tributary_): see README "Metrics".
// Thread safety: every function may be called from any thread.

#include <functional>
#include <string>
#include <vector>

#include "merge/pool/pool_stats.hpp"
#include "merge/record.hpp"
#include "service/metrics/registry.hpp"
#include "service/storage/store.hpp"

namespace tributary::service {

// One fetch run as logged (status "error" when no HTTP response), in politeness group `group`
// (the key; "" when the run never reached one), and when extraction ran, the snapshot's
// records and each field's fill ratio.
void RecordFetchMetrics(const storage::FetchLog& log, const std::string& group,
                        const merge::SourceSnapshot* snapshot);
// A merge of view `view_id` was stored.
void RecordMergeMetrics(const std::string& view_id);

// What the scrape-time collector reads.
struct DaemonMetricInputs {
  std::function<merge::pool::PoolStats()> pool_stats;
  std::string db_path;  // the SQLite database file (its -wal file is counted too)
  // Records and conflicting records per view, read from the store at each scrape (indexed
  // counts, on the scraping thread, never on an I/O thread).
  storage::Store* store = nullptr;
  std::function<std::vector<std::string>()> view_ids;  // the configured views
};

// Registers the scrape-time collector; returns its id for Registry::RemoveCollector (call it
// before whatever the inputs capture goes away).
int AddDaemonCollector(metrics::Registry& registry, DaemonMetricInputs inputs);

}  // namespace tributary::service
