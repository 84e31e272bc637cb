#include "service/fetch_metrics.hpp"

#include <exception>

#include "common/log.hpp"

namespace tributary::service {
namespace {

// An observer must not throw into the fetch engine; a failure here (out of memory) costs a
// sample, never a fetch.
template <class F>
void Guarded(const char* what, F&& update) noexcept {
  try {
    update();
  } catch (const std::exception& e) {
    Logger("fetch")->error("updating metric {} failed: {}", what, e.what());
  } catch (...) {
    Logger("fetch")->error("updating metric {} failed", what);
  }
}

}  // namespace

FetchMetrics::FetchMetrics(metrics::Registry& r)
    : retries_(r.CounterFamily("tributary_fetch_retries_total",
                               "Retries of retryable fetch failures, by source and politeness "
                               "group.",
                               {"source", "group"})),
      robots_denials_(r.CounterFamily("tributary_robots_denials_total",
                                      "Requests not sent because robots.txt disallows them, by "
                                      "source.",
                                      {"source"})),
      circuit_(r.GaugeFamily("tributary_circuit_state",
                             "Circuit breaker by politeness group: 0 closed, 1 half-open (the "
                             "probe is in flight), 2 open.",
                             {"group"})) {}

void FetchMetrics::OnRetry(const std::string& source_id, const std::string& group) noexcept {
  Guarded("tributary_fetch_retries_total", [&] { retries_.With({source_id, group}).Inc(); });
}

void FetchMetrics::OnRobotsDenied(const std::string& source_id) noexcept {
  Guarded("tributary_robots_denials_total", [&] { robots_denials_.With({source_id}).Inc(); });
}

void FetchMetrics::OnCircuitState(const std::string& group, fetchers::CircuitState state) noexcept {
  Guarded("tributary_circuit_state",
          [&] { circuit_.With({group}).Set(static_cast<double>(static_cast<int>(state))); });
}

}  // namespace tributary::service
