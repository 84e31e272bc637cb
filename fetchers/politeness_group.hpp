#pragma once
// The rules of one politeness group, as pure bookkeeping on a caller-supplied clock: at most
// `concurrency` requests in flight, requests sent at least `spacing` apart, an optional token
// bucket (rate, burst), a pause asked for by Retry-After, a circuit breaker (after N consecutive
// failures the group cools down, then one probe request decides whether it reopens) and a retry
// budget (each first attempt earns `budget_ratio` retries, capped at `budget_reserve`).
// The shard asks CanStart() before each start and re-asks at the returned wake-up time.
// Thread safety: none; a group lives on its shard's thread.

#include <chrono>
#include <optional>
#include <string>

#include "fetchers/fetcher.hpp"

namespace tributary::fetchers {

class PolitenessGroup {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  enum class Gate {
    kStart,        // a request may start now
    kWait,         // not now: try again at `wake` (or when a request finishes, if no wake)
    kCircuitOpen,  // the circuit is open until `wake`: fail queued requests instead of waiting
  };
  struct Decision {
    Gate gate = Gate::kStart;
    std::optional<TimePoint> wake;
  };
  // How an attempt ended, for the circuit breaker.
  enum class Outcome {
    kSuccess,  // the server answered (any status below 500 except 429)
    kFailure,  // connection errors, timeouts, 5xx
    kNeutral,  // 429: the server is alive but wants us slower (Retry-After handles it)
  };

  PolitenessGroup(std::string key, const GroupPolicy& group, const RetryPolicy& retry,
                  TimePoint now);

  // The latest request's policy applies from now on (a reload changes it).
  void SetPolicy(const GroupPolicy& group, const RetryPolicy& retry);

  Decision CanStart(TimePoint now);
  // A request starts now (after CanStart said kStart). Returns true when it is the circuit's
  // half-open probe.
  bool OnStart(TimePoint now);
  // A started request goes out now (its connection is up). Spacing counts from here: a start
  // only hands the request to libcurl, and connecting can take long, so spacing counted from
  // starts would let a slow connection's request reach the server just before the next one.
  // `first` is false for the later requests of one attempt (redirects).
  void OnSent(TimePoint now, bool first);
  // `reported_sent`: whether OnSent(…, true) was called for this attempt (a failed connection
  // sends nothing; callers that do not track sending leave it false).
  void OnFinish(TimePoint now, Outcome outcome, bool reported_sent = false);
  // Retry-After: no request starts before `until` (a later pause wins over an earlier one).
  void PauseUntil(TimePoint until);

  // A first attempt earns budget; a retry spends one unit, or is refused (false).
  void EarnRetryBudget();
  bool SpendRetryBudget();

  bool CircuitOpen(TimePoint now) const { return open_ && now < open_until_; }
  // The breaker's state by events rather than by the clock: open from the failure that opens it
  // until its probe starts, half-open while the probe is in flight, else closed.
  CircuitState circuit() const;
  TimePoint circuit_open_until() const { return open_until_; }
  std::optional<TimePoint> paused_until(TimePoint now) const;
  size_t in_flight() const { return in_flight_; }
  const std::string& key() const { return key_; }

  // The state for the API; `queued` is the caller's count. Wall times from `wall_now`.
  GroupState State(TimePoint now, SystemTime wall_now, size_t queued) const;

 private:
  void Refill(TimePoint now);

  const std::string key_;
  GroupPolicy policy_;
  RetryPolicy retry_;

  size_t in_flight_ = 0;
  size_t unsent_ = 0;                    // of in_flight_: started, request not sent yet
  std::optional<TimePoint> last_start_;  // of the latest request start or send
  double tokens_ = 1;
  TimePoint refilled_at_;
  TimePoint paused_until_{};
  // Circuit breaker: open_ with now < open_until_ is open; open_ past open_until_ is half-open
  // (one probe may start); !open_ is closed.
  bool open_ = false;
  TimePoint open_until_{};
  bool probe_in_flight_ = false;
  int consecutive_failures_ = 0;
  double budget_ = 0;
  uint64_t requests_ = 0;
  uint64_t retries_ = 0;
  uint64_t retries_denied_ = 0;
};

}  // namespace tributary::fetchers
