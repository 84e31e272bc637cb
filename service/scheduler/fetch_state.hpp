#pragma once
// Per-source fetch state for the scheduler and the API: the last attempt (status, bytes,
// duration, attempts, error), counters (fetches, 304s, unchanged bodies, bytes saved), the
// robots.txt verdict, the Retry-After and circuit times the fetch engine reported, and the
// server's freshness hint. The pipeline records; the scheduler takes the completion; the API
// renders JSON together with the schedule and the politeness group's state.
// Thread safety: all methods may be called from any thread (one mutex).

#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "fetchers/fetcher.hpp"
#include "service/scheduler/scheduler.hpp"

namespace tributary::service::scheduler {

// The freshness a response announces: Cache-Control max-age (s-maxage ignored), else Expires
// minus Date, else an RSS <ttl> (minutes) near the start of the body. nullopt when none, or
// when Cache-Control says no-store / no-cache.
std::optional<std::chrono::milliseconds> ServerHint(const fetchers::FetchResult& result);

class FetchStateRegistry {
 public:
  // How a run used its fetch.
  enum class Use {
    kExtracted,    // the body was extracted and stored
    kNotModified,  // 304: extraction skipped
    kUnchanged,    // same body hash as last time: extraction skipped
    kFailed,       // the fetch or the extraction failed
  };
  static const char* UseName(Use use);

  // Records a finished run of `id` whose (first) fetch was `result`; `bytes_saved` is what a
  // 304 spared (the size of the body it stands for).
  void Record(const std::string& id, const fetchers::FetchResult& result, Use use,
              uint64_t bytes_saved = 0);
  // The completion for the scheduler, from the latest record.
  Completion CompletionOf(const std::string& id) const;
  // The "fetch" object of GET /api/v1/sources/{id}.
  nlohmann::json Json(const std::string& id, const std::optional<SourceSchedule>& schedule,
                      const std::optional<fetchers::GroupState>& group) const;
  // The group key the source's last fetch ran in ("" when never fetched).
  std::string GroupOf(const std::string& id) const;

 private:
  // What the API shows of the last fetch: a FetchResult without its request, headers and body
  // (kept for every source, so only what is read).
  struct LastFetch {
    SystemTime started;
    std::string final_url;
    long status = 0;
    uint64_t bytes = 0;
    uint64_t wire_bytes = 0;
    std::chrono::milliseconds duration{0};
    int attempts = 0;
    bool not_sent = false;
    std::optional<Error> error;
    std::string group;
    fetchers::RobotsVerdict robots = fetchers::RobotsVerdict::kNotChecked;
    std::optional<SystemTime> retry_after;
    std::optional<SystemTime> circuit_open_until;
  };
  struct State {
    std::optional<LastFetch> last;
    Use last_use = Use::kFailed;
    uint64_t fetches = 0;
    uint64_t not_modified = 0;
    uint64_t unchanged = 0;
    uint64_t bytes_saved = 0;
    uint64_t failures = 0;
    std::optional<std::chrono::milliseconds> hint;
  };
  mutable std::mutex mu_;
  std::map<std::string, State> states_;  // Guarded by mu_.
};

}  // namespace tributary::service::scheduler
