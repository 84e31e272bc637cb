#include "service/daemon_metrics.hpp"

#include <sys/stat.h>

namespace tributary::service {
namespace {

using metrics::DefaultRegistry;

std::string StatusLabel(const storage::FetchLog& log) {
  if (log.http_status > 0) return std::to_string(log.http_status);
  return "error";
}

}  // namespace

void RecordFetchMetrics(const storage::FetchLog& log, const merge::SourceSnapshot* snapshot) {
  auto& r = DefaultRegistry();
  static auto& fetches = r.CounterFamily(
      "tributary_fetches_total", "Fetch attempts by source and HTTP status (\"error\": none).",
      {"source", "status"});
  static auto& failures = r.CounterFamily(
      "tributary_fetch_failures_total",
      "Failed fetches or extractions by source and class (retryable, permanent, source_broken).",
      {"source", "class"});
  static auto& not_modified =
      r.CounterFamily("tributary_fetch_not_modified_total",
                      "Fetches answered 304 Not Modified, by source.", {"source"});
  static auto& bytes = r.CounterFamily("tributary_fetch_bytes_total",
                                       "Response body bytes received, by source.", {"source"});
  static auto& duration =
      r.HistogramFamily("tributary_fetch_duration_seconds", "Fetch durations by source.",
                        {"source"}, metrics::LatencyBuckets());
  static auto& records =
      r.GaugeFamily("tributary_extraction_records",
                    "Records extracted by the latest fetch, by source.", {"source"});
  static auto& fill = r.GaugeFamily(
      "tributary_extraction_field_fill_ratio",
      "Share of the latest fetch's records with a non-empty value, by source and field.",
      {"source", "field"});
  fetches.With({log.source_id, StatusLabel(log)}).Inc();
  if (log.http_status == 304) not_modified.With({log.source_id}).Inc();
  if (!log.error.empty()) failures.With({log.source_id, log.error_class}).Inc();
  bytes.With({log.source_id}).Inc(static_cast<double>(log.bytes));
  duration.With({log.source_id}).Observe(static_cast<double>(log.duration_ms) / 1000.0);
  if (snapshot != nullptr) {
    records.With({log.source_id}).Set(static_cast<double>(snapshot->records.size()));
    std::map<std::string, size_t> filled;
    for (const auto& rec : snapshot->records) {
      for (const auto& [name, value] : rec.fields.items()) {
        const bool empty = value.is_null() || (value.is_string() && value.empty()) ||
                           (value.is_array() && value.empty());
        size_t& n = filled[name];
        if (!empty) ++n;
      }
    }
    const double total = static_cast<double>(snapshot->records.size());
    for (const auto& [name, n] : filled) {
      fill.With({log.source_id, name}).Set(total > 0 ? static_cast<double>(n) / total : 0);
    }
  }
}

void RecordMergeMetrics(const std::string& view_id, size_t records, size_t conflicting) {
  auto& r = DefaultRegistry();
  static auto& view_records = r.GaugeFamily(
      "tributary_view_records", "Records in each view after its latest merge.", {"view"});
  static auto& conflicts = r.GaugeFamily(
      "tributary_merge_conflicts", "Records with conflicting source values, by view.", {"view"});
  static auto& merges =
      r.CounterFamily("tributary_merges_total", "Merges stored, by view.", {"view"});
  view_records.With({view_id}).Set(static_cast<double>(records));
  conflicts.With({view_id}).Set(static_cast<double>(conflicting));
  merges.With({view_id}).Inc();
}

void RecordFetchRetry(const std::string& source_id, const std::string& group) {
  static auto& retries = DefaultRegistry().CounterFamily(
      "tributary_fetch_retries_total", "Fetch retries by source and politeness group.",
      {"source", "group"});
  retries.With({source_id, group}).Inc();
}

void RecordRobotsDenial(const std::string& source_id) {
  static auto& denials = DefaultRegistry().CounterFamily(
      "tributary_robots_denials_total", "Fetches refused by robots.txt, by source.", {"source"});
  denials.With({source_id}).Inc();
}

void SetCircuitState(const std::string& group, int state) {
  static auto& circuit = DefaultRegistry().GaugeFamily(
      "tributary_circuit_state",
      "Circuit breaker by politeness group: 0 closed, 1 half-open, 2 open.", {"group"});
  circuit.With({group}).Set(state);
}

int AddDaemonCollector(metrics::Registry& r, std::function<merge::pool::PoolStats()> pool_stats,
                       std::string db_path) {
  auto& workers = r.GaugeFamily("tributary_pool_workers", "Live worker processes.");
  auto& busy = r.GaugeFamily("tributary_pool_busy_workers", "Worker processes running a job.");
  auto& queued = r.GaugeFamily("tributary_pool_queue_depth", "Jobs waiting for a worker.");
  // Counts the pool keeps since it started, copied as they are: counters, not gauges. Lost
  // workers are counted by cause in tributary_pool_worker_losses_total (extraction_metrics).
  auto& jobs = r.CounterFamily("tributary_pool_jobs_total",
                               "Worker-pool jobs since start by outcome (submitted, completed, "
                               "failed, retried).",
                               {"outcome"});
  auto& respawns =
      r.CounterFamily("tributary_pool_respawns_total", "Worker processes replaced since start.");
  auto& store_bytes = r.GaugeFamily("tributary_store_size_bytes",
                                    "Size of the SQLite database files (main and WAL).");
  auto& up = r.GaugeFamily("tributary_up", "1 while the daemon runs.");
  return r.AddCollector([=, &workers, &busy, &queued, &jobs, &respawns, &store_bytes, &up] {
    const auto s = pool_stats();
    workers.With({}).Set(s.processes);
    busy.With({}).Set(s.busy);
    queued.With({}).Set(static_cast<double>(s.queued));
    jobs.With({"submitted"}).SetTotal(static_cast<double>(s.jobs_submitted));
    jobs.With({"completed"}).SetTotal(static_cast<double>(s.jobs_completed));
    jobs.With({"failed"}).SetTotal(static_cast<double>(s.jobs_failed));
    jobs.With({"retried"}).SetTotal(static_cast<double>(s.jobs_retried));
    respawns.With({}).SetTotal(static_cast<double>(s.respawns));
    double size = 0;
    for (const char* suffix : {"", "-wal"}) {
      struct stat st {};
      if (::stat((db_path + suffix).c_str(), &st) == 0) size += static_cast<double>(st.st_size);
    }
    store_bytes.With({}).Set(size);
    up.With({}).Set(1);
  });
}

}  // namespace tributary::service
