#pragma once
// The fetch engine: libcurl's multi interface driven by Boost.Asio, one io_context and one CURLM
// per I/O thread ("shard"). Every request belongs to a politeness group (by default its host);
// a group lives on exactly one shard, which enforces its concurrency, spacing between request
// starts, token bucket, Retry-After pauses, circuit breaker and retry budget, and retries
// retryable failures with exponential backoff and full jitter. robots.txt is fetched once per
// origin (through the same group) and cached. Thousands of transfers in flight, never a thread
// per request.
// Thread safety: Fetch(), Stop(), InFlight() and GroupState() may be called from any thread. The
// completion callback runs on a shard's I/O thread and must be quick: hand parsing to the worker
// pool, never parse there.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "common/time.hpp"

namespace tributary::fetchers {

using Headers = std::vector<std::pair<std::string, std::string>>;

class RobotsCache;
class RobotsRules;
class AddressResolver;

using Millis = std::chrono::milliseconds;

// How requests are grouped for politeness when the source names no group.
enum class GroupBy { kHost, kDomain, kIp };

// The limits of one politeness group. Requests of a group carry its policy; the latest request
// seen wins, so a reloaded configuration applies to the next request.
struct GroupPolicy {
  // "" means the implicit group of the URL by `by` (see GroupKeyFor); otherwise a named group.
  std::string name;
  GroupBy by = GroupBy::kHost;
  int concurrency = 4;  // requests in flight at once
  Millis spacing{0};    // minimum time between two request starts
  double rate = 0;      // token bucket refill per second; 0: no bucket
  double burst = 1;     // token bucket capacity
};

// Retries of retryable failures within one fetch, and the circuit breaker of the group.
struct RetryPolicy {
  int attempts = 3;   // total attempts, >= 1
  Millis base{1000};  // backoff before retry n: uniform in [0, min(cap, base*2^(n-1))]
  Millis cap{60000};  // cap of one backoff
  Millis max_retry_after{3600 * 1000};  // Retry-After values are capped at this
  double budget_ratio = 0.2;            // retries earned per first attempt in the group
  double budget_reserve = 3;            // retries the group may always make (bucket capacity floor)
  int circuit_failures = 5;             // consecutive failures that open the group's circuit
  Millis circuit_cooldown{60000};       // how long it stays open before one probe request
};

struct FetchRequest {
  std::string source_id;  // for logs and metrics
  std::string url;
  std::string method = "GET";
  Headers headers;
  std::string body;  // for POST
  std::string user_agent = "tributary/0.1";
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds connect_timeout{10000};
  // Abort when fewer than low_speed_limit bytes/s arrive for low_speed_time (0: never).
  long low_speed_limit = 0;
  Millis low_speed_time{0};
  uint64_t max_body = 16ull << 20;          // bytes on the wire (before decoding)
  uint64_t max_decompressed = 64ull << 20;  // bytes after Content-Encoding decoding
  double max_compression_ratio = 100;       // decoded / wire, checked past 64 KiB decoded
  uint64_t max_header_size = 64ull << 10;   // all response header lines of one response
  bool allow_private_networks = false;
  int max_redirects = 5;
  // Credentials: never logged. basic_user set: HTTP basic auth; bearer set: Authorization: Bearer.
  std::string basic_user;
  std::string basic_password;
  std::string bearer_token;
  std::string cookies;  // "a=1; b=2", sent as the Cookie header (and kept across redirects)
  // "" uses the standard environment variables (http_proxy, https_proxy, no_proxy ...);
  // "direct" disables any proxy.
  std::string proxy;
  bool tls_verify = true;
  std::string ca_file;  // "" uses the system store

  GroupPolicy group;
  RetryPolicy retry;
  bool obey_robots = false;
  Millis robots_ttl{24 * 3600 * 1000};

  // Set by the engine, not by callers: the address a by-IP group resolved the host to, pinned
  // with CURLOPT_RESOLVE so that the request goes where its group says.
  std::string pinned_address;
};

// What robots.txt said about a request (kNotChecked when robots are ignored).
enum class RobotsVerdict { kNotChecked, kAllowed, kDisallowed };
const char* RobotsVerdictName(RobotsVerdict v);

struct FetchResult {
  std::string source_id;
  std::string url;
  std::string final_url;  // after redirects
  long status = 0;        // HTTP status; 0 when no response was received
  std::string content_type;
  Headers headers;  // response headers of the final response, names lower-cased
  std::string body;
  uint64_t bytes = 0;                     // body bytes received (after decoding)
  uint64_t wire_bytes = 0;                // body bytes on the wire (before decoding)
  SystemTime started;                     // of the last attempt
  std::chrono::milliseconds duration{0};  // of the last attempt
  int attempts = 0;                       // requests sent (0 when none was: see not_sent)
  // Set when the fetch failed (transport error, body too large, non-2xx status ...).
  std::optional<Error> error;
  // No request was sent: the circuit is open, robots.txt disallows, or the engine stopped.
  bool not_sent = false;
  std::string group;  // the politeness group key the request ran in
  RobotsVerdict robots = RobotsVerdict::kNotChecked;
  // The server asked to wait until then (Retry-After on 429/503, capped; never in the past).
  std::optional<SystemTime> retry_after;
  // The group's circuit is open until then (set when it is open as the fetch completes).
  std::optional<SystemTime> circuit_open_until;
};

// A politeness group as GET /api/v1/sources/{id} explains it.
struct GroupState {
  std::string key;
  int concurrency = 0;
  Millis spacing{0};
  double rate = 0;
  double burst = 0;
  size_t in_flight = 0;
  size_t queued = 0;
  std::string circuit = "closed";  // closed, open, half_open
  int consecutive_failures = 0;
  std::optional<SystemTime> circuit_open_until;
  std::optional<SystemTime> paused_until;  // Retry-After
  double retry_budget = 0;                 // retries the group may make now
  uint64_t requests = 0;                   // requests started by the group
  uint64_t retries = 0;
  uint64_t retries_denied = 0;  // retries refused by the budget
  std::optional<SystemTime> last_start;
};

// A politeness group's circuit breaker as FetchObserver reports it (the numbers are the
// tributary_circuit_state gauge's values).
enum class CircuitState { kClosed = 0, kHalfOpen = 1, kOpen = 2 };

// What the engine reports as it happens, for the daemon's metrics. Called on the I/O threads
// (OnRobotsDenied also on the thread calling Fetch when robots.txt is cached), so every method
// must be quick and must not block: no I/O, no lock held for long. Must not call the Fetcher.
class FetchObserver {
 public:
  virtual ~FetchObserver() = default;
  // A retryable failure of `source_id` is being retried in politeness group `group` (a key).
  virtual void OnRetry(const std::string& source_id, const std::string& group) noexcept = 0;
  // robots.txt disallows the request of `source_id`: it is not sent.
  virtual void OnRobotsDenied(const std::string& source_id) noexcept = 0;
  // Group `group`'s circuit is now `state`; also called (kClosed) when a group is first used.
  // Open lasts from the failure that opens it until the probe starts (half-open), which closes
  // it on success or opens it again.
  virtual void OnCircuitState(const std::string& group, CircuitState state) noexcept = 0;
};

struct FetcherOptions {
  int io_threads = 2;
  std::shared_ptr<FetchObserver> observer = nullptr;  // optional
};

class Fetcher {
 public:
  using Callback = std::function<void(FetchResult)>;

  explicit Fetcher(const FetcherOptions& options);
  ~Fetcher();  // Stops (see Stop) and joins the I/O threads.
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  // Starts a transfer; `done` is called exactly once (also when stopped: with an error).
  void Fetch(FetchRequest request, Callback done);

  // Cancels transfers in flight (their callbacks get a "cancelled" error) and joins the threads.
  // Idempotent.
  void Stop();

  // Number of fetches accepted and not yet completed across all shards (queued, waiting for a
  // retry or in flight).
  size_t InFlight() const;

  // The state of a politeness group by key (FetchResult::group), if it has been used.
  std::optional<GroupState> GroupStateOf(const std::string& key) const;

 private:
  class Shard;
  struct RobotsWait;
  void Route(FetchRequest&& request, Callback&& done, std::string&& key);
  void CheckRobots(FetchRequest request, Callback done, std::string key);
  void FetchRobots(const std::string& origin, const FetchRequest& like, const std::string& key);
  void Decide(const std::shared_ptr<RobotsWait>& wait, const RobotsRules* rules,
              const Error* error);
  void Dispatch(FetchRequest&& request, Callback&& done, std::string&& key, RobotsVerdict robots);
  Shard& ShardFor(const std::string& key) const;

  // Constant after construction. The observer is declared first so that it outlives the shards.
  std::shared_ptr<FetchObserver> observer_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unique_ptr<RobotsCache> robots_;
  std::unique_ptr<AddressResolver> resolver_;
  std::atomic<size_t> waiting_{0};  // fetches waiting for robots.txt or a DNS answer
};

}  // namespace tributary::fetchers
