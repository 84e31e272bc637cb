#pragma once
// The fetch engine's events as Prometheus metrics, as they happen:
//   tributary_fetch_retries_total{source,group}   retries of retryable failures
//   tributary_robots_denials_total{source}        requests robots.txt disallowed (not sent)
//   tributary_circuit_state{group}                0 closed, 1 half-open, 2 open
// `group` is the politeness group key, as in GET /api/v1/sources/{id} ("host:example.com",
// "group:shop").
// Thread safety: the observer methods run on the fetch I/O threads. The families are looked up
// in the constructor, so an event takes only its family's mutex (a map lookup, also held while
// a scrape renders that family) and updates an atomic: nothing that waits for I/O.

#include "fetchers/fetcher.hpp"
#include "service/metrics/registry.hpp"

namespace tributary::service {

class FetchMetrics final : public fetchers::FetchObserver {
 public:
  explicit FetchMetrics(metrics::Registry& registry);

  void OnRetry(const std::string& source_id, const std::string& group) noexcept override;
  void OnRobotsDenied(const std::string& source_id) noexcept override;
  void OnCircuitState(const std::string& group, fetchers::CircuitState state) noexcept override;

 private:
  // Constant after construction; the families live as long as the registry.
  metrics::Family<metrics::Counter>& retries_;
  metrics::Family<metrics::Counter>& robots_denials_;
  metrics::Family<metrics::Gauge>& circuit_;
};

}  // namespace tributary::service
