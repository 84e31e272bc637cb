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

void RecordFetchMetrics(const storage::FetchLog& log, const std::string& group,
                        const merge::SourceSnapshot* snapshot) {
  auto& r = DefaultRegistry();
  static auto& fetches =
      r.CounterFamily("tributary_fetches_total",
                      "Fetch runs by source, politeness group and HTTP status (\"error\": no "
                      "response).",
                      {"source", "group", "status"});
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
  fetches.With({log.source_id, group, StatusLabel(log)}).Inc();
  // Created at the first fetch so that a source without 304s shows 0, not a missing series.
  auto& source_not_modified = not_modified.With({log.source_id});
  if (log.http_status == 304) source_not_modified.Inc();
  if (!log.error.empty()) failures.With({log.source_id, log.error_class}).Inc();
  bytes.With({log.source_id}).Inc(static_cast<double>(log.bytes));
  duration.With({log.source_id}).Observe(static_cast<double>(log.duration_ms) / 1000.0);
  if (snapshot != nullptr) {
    records.With({log.source_id}).Set(static_cast<double>(snapshot->records.size()));
    std::map<std::string, size_t, std::less<>> filled;
    for (const auto& rec : snapshot->records) {
      merge::ForEachFieldFilled(rec, [&filled](std::string_view name, bool is_filled) {
        auto it = filled.find(name);
        if (it == filled.end()) it = filled.emplace(std::string(name), 0).first;
        if (is_filled) ++it->second;
      });
    }
    const double total = static_cast<double>(snapshot->records.size());
    for (const auto& [name, n] : filled) {
      fill.With({log.source_id, name}).Set(total > 0 ? static_cast<double>(n) / total : 0);
    }
  }
}

void RecordMergeMetrics(const std::string& view_id) {
  static auto& merges =
      DefaultRegistry().CounterFamily("tributary_merges_total",
                                      "Merges of a view stored (after a source changed, or a full "
                                      "recompute), by view.",
                                      {"view"});
  merges.With({view_id}).Inc();
}

int AddDaemonCollector(metrics::Registry& r, DaemonMetricInputs in) {
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
  auto& view_records =
      r.GaugeFamily("tributary_view_records", "Records stored in each configured view.", {"view"});
  auto& conflicts = r.GaugeFamily("tributary_merge_conflicts",
                                  "Records of each configured view whose sources disagree about "
                                  "a field.",
                                  {"view"});
  auto& store_bytes = r.GaugeFamily("tributary_store_size_bytes",
                                    "Size of the SQLite database files (main and WAL).");
  auto& up = r.GaugeFamily("tributary_up", "1 while the daemon runs.");
  return r.AddCollector([in = std::move(in), &workers, &busy, &queued, &jobs, &respawns,
                         &view_records, &conflicts, &store_bytes, &up] {
    const auto s = in.pool_stats();
    workers.With({}).Set(s.processes);
    busy.With({}).Set(s.busy);
    queued.With({}).Set(static_cast<double>(s.queued));
    jobs.With({"submitted"}).SetTotal(static_cast<double>(s.jobs_submitted));
    jobs.With({"completed"}).SetTotal(static_cast<double>(s.jobs_completed));
    jobs.With({"failed"}).SetTotal(static_cast<double>(s.jobs_failed));
    jobs.With({"retried"}).SetTotal(static_cast<double>(s.jobs_retried));
    respawns.With({}).SetTotal(static_cast<double>(s.respawns));
    if (in.store != nullptr && in.view_ids) {
      // Only configured views: a removed view's samples go.
      view_records.Clear();
      conflicts.Clear();
      for (const auto& id : in.view_ids()) {
        auto records = in.store->CountViewRecords(id);
        auto conflicting = in.store->CountViewConflicts(id);
        if (!records || !conflicting) continue;  // no sample beats a wrong one
        view_records.With({id}).Set(static_cast<double>(*records));
        conflicts.With({id}).Set(static_cast<double>(*conflicting));
      }
    }
    double size = 0;
    for (const char* suffix : {"", "-wal"}) {
      struct stat st {};
      if (::stat((in.db_path + suffix).c_str(), &st) == 0) size += static_cast<double>(st.st_size);
    }
    store_bytes.With({}).Set(size);
    up.With({}).Set(1);
  });
}

}  // namespace tributary::service
