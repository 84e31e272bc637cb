#pragma once
// The daemon's Prometheus metrics that are not the API's own: fetches (by source and status),
// bytes, durations, extraction records and field fill ratios, the worker pool, merge conflicts
// and the store's size. Components call the Record* functions where the event happens; the
// collector copies stats that components keep themselves at each scrape.
// Metric names (all prefixed tributary_): see README "Metrics".
// Thread safety: every function may be called from any thread.

#include <functional>
#include <string>

#include "merge/pool/pool_stats.hpp"
#include "merge/record.hpp"
#include "service/metrics/registry.hpp"
#include "service/storage/store.hpp"

namespace tributary::service {

// One fetch attempt as logged (status "error" when no HTTP response), and when extraction ran,
// the snapshot's records and each field's fill ratio.
void RecordFetchMetrics(const storage::FetchLog& log, const merge::SourceSnapshot* snapshot);
// A view's merge stored `records` records of which `conflicting` have conflicts.
void RecordMergeMetrics(const std::string& view_id, size_t records, size_t conflicting);
// For fetch engine components: retries, robots denials and circuit states by politeness group.
void RecordFetchRetry(const std::string& source_id, const std::string& group);
void RecordRobotsDenial(const std::string& source_id);
void SetCircuitState(const std::string& group, int state);  // 0 closed, 1 half-open, 2 open

// Registers the scrape-time collector (pool stats, store size); returns its id.
int AddDaemonCollector(metrics::Registry& registry,
                       std::function<merge::pool::PoolStats()> pool_stats, std::string db_path);

}  // namespace tributary::service
