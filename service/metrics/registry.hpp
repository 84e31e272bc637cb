#pragma once
// A small Prometheus metrics registry: counters, gauges and histograms in labelled families,
// rendered in the Prometheus text exposition format (version 0.0.4) for GET /metrics.
// Components update metrics on their own threads: looking up a labelled child takes the
// family's mutex once; keep the returned reference (children live as long as the registry,
// unless the family is Clear()ed) and update it lock-free afterwards.
// Collectors are callbacks run at the start of every exposition, to copy stats that components
// keep themselves (pool stats, store size) into gauges.
// Thread safety: every method may be called from any thread.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tributary::service::metrics {

using LabelValues = std::vector<std::string>;

class Counter {
 public:
  void Inc(double delta = 1) { value_.fetch_add(delta, std::memory_order_relaxed); }
  // For collectors that copy a count a component keeps itself (pool stats): its current total.
  // The copied count must never decrease, or the series is no counter.
  void SetTotal(double total) { value_.store(total, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Inc(double delta = 1) { value_.fetch_add(delta, std::memory_order_relaxed); }
  void Dec(double delta = 1) { value_.fetch_sub(delta, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: the upper bounds of the buckets, strictly increasing (+Inf is implicit).
  explicit Histogram(std::vector<double> bounds);
  // Shares the bounds (a family's children all have the same).
  explicit Histogram(std::shared_ptr<const std::vector<double>> bounds);
  void Observe(double value);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Read() const;
  const std::vector<double>& bounds() const { return *bounds_; }

 private:
  const std::shared_ptr<const std::vector<double>> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1 (the +Inf bucket)
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, 0.5 ms to 60 s.
std::vector<double> LatencyBuckets();
// Buckets in bytes, 1 KiB to 64 MiB by powers of 4.
std::vector<double> SizeBuckets();

enum class Type { kCounter, kGauge, kHistogram };

// One metric name with its labels; children by label values.
template <class Cell>
class Family {
 public:
  Family(std::vector<std::string> label_names, std::vector<double> bounds = {})
      : label_names_(std::move(label_names)),
        bounds_(std::make_shared<const std::vector<double>>(std::move(bounds))) {}

  // The child for `values` (one per label name, in order), created on first use.
  Cell& With(const LabelValues& values);
  // Drops one child / every child (for label sets that no longer exist, e.g. a removed source).
  // References to dropped children must not be used afterwards.
  void Remove(const LabelValues& values);
  void Clear();

  const std::vector<std::string>& label_names() const { return label_names_; }
  // Calls f(values, cell) for every child in label order, under the family's lock.
  void ForEach(const std::function<void(const LabelValues&, const Cell&)>& f) const;

 private:
  const std::vector<std::string> label_names_;
  const std::shared_ptr<const std::vector<double>> bounds_;  // histograms only
  mutable std::mutex mu_;
  // Cells in the nodes (a map never moves them): with a series per source, thousands of
  // children, each one allocation fewer.
  std::map<LabelValues, Cell> children_;  // Guarded by mu_.
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The family named `name`, created on first call. A second call with the same name must
  // give the same type and label names (else std::logic_error: a programming error).
  // Names follow Prometheus conventions: snake_case, counters end in "_total", units in the
  // name ("_seconds", "_bytes").
  Family<Counter>& CounterFamily(const std::string& name, const std::string& help,
                                 std::vector<std::string> label_names = {});
  Family<Gauge>& GaugeFamily(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names = {});
  Family<Histogram>& HistogramFamily(const std::string& name, const std::string& help,
                                     std::vector<std::string> label_names,
                                     std::vector<double> bounds);

  // Collectors run at the start of each Expose(), one exposition at a time. Returns an id for
  // RemoveCollector (call it before whatever the collector captures goes away).
  int AddCollector(std::function<void()> collect);
  void RemoveCollector(int id);

  // Every family in name order, in the text exposition format.
  std::string Expose();

 private:
  struct Entry {
    Type type;
    std::string help;
    std::vector<std::string> label_names;
    std::unique_ptr<Family<Counter>> counters;
    std::unique_ptr<Family<Gauge>> gauges;
    std::unique_ptr<Family<Histogram>> histograms;
  };
  Entry& Find(const std::string& name, Type type, const std::string& help,
              const std::vector<std::string>& label_names);

  std::mutex expose_mu_;  // one exposition (and collector run) at a time
  mutable std::mutex mu_;
  std::map<std::string, Entry> families_;            // Guarded by mu_.
  std::map<int, std::function<void()>> collectors_;  // Guarded by mu_.
  int next_collector_ = 1;                           // Guarded by mu_.
};

// The daemon's registry: components that have no registry passed to them update this one.
Registry& DefaultRegistry();

// Formats a sample value as Prometheus expects ("+Inf", "NaN", integers without exponent).
std::string FormatValue(double value);
// Escapes a label value (backslash, double quote, newline).
std::string EscapeLabelValue(const std::string& value);

}  // namespace tributary::service::metrics
