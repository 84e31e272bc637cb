#include "service/metrics/registry.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace tributary::service::metrics {
namespace {

const char* TypeName(Type t) {
  switch (t) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// HELP text escapes backslash and newline only.
std::string EscapeHelp(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// {a="x",b="y"} plus an optional extra label (le for histogram buckets).
std::string LabelText(const std::vector<std::string>& names, const LabelValues& values,
                      const std::string& extra_name = {}, const std::string& extra_value = {}) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += names[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
  }
  if (!extra_name.empty()) {
    out += out.empty() ? "{" : ",";
    out += extra_name + "=\"" + extra_value + "\"";
  }
  if (!out.empty()) out += "}";
  return out;
}

bool ValidName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':')) return false;
  }
  return true;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : Histogram(std::make_shared<const std::vector<double>>(std::move(bounds))) {}

Histogram::Histogram(std::shared_ptr<const std::vector<double>> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_->size() + 1)) {
  for (size_t i = 0; i <= bounds_->size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  size_t i = 0;
  const std::vector<double>& bounds = *bounds_;
  while (i < bounds.size() && value > bounds[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_->size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

std::vector<double> SizeBuckets() {
  std::vector<double> out;
  for (double b = 1024; b <= 64.0 * 1024 * 1024; b *= 4) out.push_back(b);
  return out;
}

template <class Cell>
Cell& Family<Cell>::With(const LabelValues& values) {
  if (values.size() != label_names_.size()) {
    throw std::logic_error("metric child needs " + std::to_string(label_names_.size()) +
                           " label values, got " + std::to_string(values.size()));
  }
  std::lock_guard lock(mu_);
  // try_emplace constructs the cell only when the child is new.
  if constexpr (std::is_same_v<Cell, Histogram>) {
    return children_.try_emplace(values, bounds_).first->second;
  } else {
    return children_.try_emplace(values).first->second;
  }
}

template <class Cell>
void Family<Cell>::Remove(const LabelValues& values) {
  std::lock_guard lock(mu_);
  children_.erase(values);
}

template <class Cell>
void Family<Cell>::Clear() {
  std::lock_guard lock(mu_);
  children_.clear();
}

template <class Cell>
void Family<Cell>::ForEach(const std::function<void(const LabelValues&, const Cell&)>& f) const {
  std::lock_guard lock(mu_);
  for (const auto& [values, cell] : children_) f(values, cell);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Registry::Entry& Registry::Find(const std::string& name, Type type, const std::string& help,
                                const std::vector<std::string>& label_names) {
  if (!ValidName(name)) throw std::logic_error("invalid metric name \"" + name + "\"");
  auto it = families_.find(name);
  if (it != families_.end()) {
    if (it->second.type != type || it->second.label_names != label_names) {
      throw std::logic_error("metric \"" + name +
                             "\" registered twice with different types or labels");
    }
    return it->second;
  }
  Entry& e = families_[name];
  e.type = type;
  e.help = help;
  e.label_names = label_names;
  return e;
}

Family<Counter>& Registry::CounterFamily(const std::string& name, const std::string& help,
                                         std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  Entry& e = Find(name, Type::kCounter, help, label_names);
  if (!e.counters) e.counters = std::make_unique<Family<Counter>>(std::move(label_names));
  return *e.counters;
}

Family<Gauge>& Registry::GaugeFamily(const std::string& name, const std::string& help,
                                     std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  Entry& e = Find(name, Type::kGauge, help, label_names);
  if (!e.gauges) e.gauges = std::make_unique<Family<Gauge>>(std::move(label_names));
  return *e.gauges;
}

Family<Histogram>& Registry::HistogramFamily(const std::string& name, const std::string& help,
                                             std::vector<std::string> label_names,
                                             std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  Entry& e = Find(name, Type::kHistogram, help, label_names);
  if (!e.histograms) {
    e.histograms = std::make_unique<Family<Histogram>>(std::move(label_names), std::move(bounds));
  }
  return *e.histograms;
}

int Registry::AddCollector(std::function<void()> collect) {
  std::lock_guard lock(mu_);
  const int id = next_collector_++;
  collectors_.emplace(id, std::move(collect));
  return id;
}

void Registry::RemoveCollector(int id) {
  // Waits for an exposition in progress, which may be running this collector.
  std::lock_guard expose(expose_mu_);
  std::lock_guard lock(mu_);
  collectors_.erase(id);
}

std::string Registry::Expose() {
  std::lock_guard expose(expose_mu_);
  std::vector<std::function<void()>> collectors;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, c] : collectors_) collectors.push_back(c);
  }
  for (const auto& c : collectors) c();

  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& [name, e] : families_) {
    std::string samples;
    if (e.counters) {
      e.counters->ForEach([&](const LabelValues& v, const Counter& c) {
        samples += name + LabelText(e.label_names, v) + " " + FormatValue(c.Value()) + "\n";
      });
    } else if (e.gauges) {
      e.gauges->ForEach([&](const LabelValues& v, const Gauge& g) {
        samples += name + LabelText(e.label_names, v) + " " + FormatValue(g.Value()) + "\n";
      });
    } else if (e.histograms) {
      e.histograms->ForEach([&](const LabelValues& v, const Histogram& h) {
        const auto snap = h.Read();
        for (size_t i = 0; i < snap.cumulative.size(); ++i) {
          const std::string le = i < h.bounds().size() ? FormatValue(h.bounds()[i]) : "+Inf";
          samples += name + "_bucket" + LabelText(e.label_names, v, "le", le) + " " +
                     std::to_string(snap.cumulative[i]) + "\n";
        }
        samples += name + "_sum" + LabelText(e.label_names, v) + " " + FormatValue(snap.sum) + "\n";
        samples +=
            name + "_count" + LabelText(e.label_names, v) + " " + std::to_string(snap.count) + "\n";
      });
    }
    out += "# HELP " + name + " " + EscapeHelp(e.help) + "\n";
    out += "# TYPE " + name + " " + TypeName(e.type) + "\n";
    out += samples;
  }
  return out;
}

Registry& DefaultRegistry() {
  static Registry* registry = new Registry();  // never destroyed: used until exit
  return *registry;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return buf;
  }
  // The shortest text that reads back as the same double.
  char buf[32];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace tributary::service::metrics
