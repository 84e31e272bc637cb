#pragma once
// The fetch engine: libcurl's multi interface driven by Boost.Asio, one io_context and one CURLM
// per I/O thread ("shard"); requests are sharded by host so connection reuse stays on one
// thread. Thousands of transfers in flight, never a thread per request.
// Thread safety: Fetch() and Stop() may be called from any thread. The completion callback runs
// on the shard's I/O thread and must be quick: hand parsing to the worker pool, never parse there.

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

struct FetchRequest {
  std::string source_id;  // for logs and metrics
  std::string url;
  std::string method = "GET";
  Headers headers;
  std::string body;  // for POST
  std::string user_agent = "tributary/0.1";
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds connect_timeout{10000};
  uint64_t max_body = 16ull << 20;
  bool allow_private_networks = false;
  int max_redirects = 5;
};

struct FetchResult {
  std::string source_id;
  std::string url;
  std::string final_url;  // after redirects
  long status = 0;        // HTTP status; 0 when no response was received
  std::string content_type;
  Headers headers;  // response headers of the final response, names lower-cased
  std::string body;
  uint64_t bytes = 0;  // body bytes received (after decoding)
  SystemTime started;
  std::chrono::milliseconds duration{0};
  // Set when the fetch failed (transport error, body too large, non-2xx status ...).
  std::optional<Error> error;
};

struct FetcherOptions {
  int io_threads = 2;
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

  // Number of transfers in flight across all shards.
  size_t InFlight() const;

 private:
  class Shard;
  std::vector<std::unique_ptr<Shard>> shards_;  // constant after construction
};

}  // namespace tributary::fetchers
