#pragma once
// Decides when each source is fetched, and says why. A source with `every` is due on a fixed
// grid offset by a hash of its id (as Prometheus spreads its targets) plus a bounded random
// jitter, so many sources with one interval do not fire together and a restart keeps the same
// phase; a source with `cron` is due at its cron times in its time zone. On start-up every
// source is fetched promptly, spread over `startup_spread`. One source never has two fetches in
// flight: a slot that comes while the previous fetch runs is skipped (a manual trigger is
// remembered instead).
// After a run the next time may move later, never earlier than the regular slot: to the end of a
// Retry-After or of an open circuit, by a backoff after consecutive failed runs (doubling from
// the interval, capped), or by a server hint (Cache-Control max-age, Expires, RSS <ttl>) within
// the configured bound. The one exception: a run whose results could not be stored is fetched
// again after `store_retry`, doubling with each such run in a row, while that is sooner than the
// regular slot (Retry-After and circuits still hold): the store may be back long before the
// next slot, and a disk that stays full does not turn every source into a fetch every 30 s.
// SourceSchedule::reason names the rule that decided.
// Thread safety: all public methods may be called from any thread; the work runs on the
// io_context given at construction (one thread).

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/time.hpp"
#include "config/config.hpp"

namespace tributary::service::scheduler {

// The first slot strictly after `now` on the grid {offset + k * every}.
SystemTime NextSlot(SystemTime now, std::chrono::milliseconds every,
                    std::chrono::milliseconds offset);
// A stable offset in [0, every) from the source id (FNV-1a).
std::chrono::milliseconds PhaseOffset(const std::string& id, std::chrono::milliseconds every);

struct SourceSchedule {
  std::string id;
  SystemTime next_due;
  // "startup", "interval", "cron", "manual", "backoff", "retry-after", "circuit open",
  // "robots", "server hint", "store retry"
  std::string reason;
  bool in_flight = false;
  int consecutive_failures = 0;
};

// What a finished run tells the scheduler.
struct Completion {
  bool failed = false;  // the fetch or its extraction failed
  std::optional<SystemTime> retry_after;
  std::optional<SystemTime> circuit_open_until;
  bool robots_disallowed = false;
  std::optional<std::chrono::milliseconds> hint;  // server's freshness hint, on success
  // The run's results could not be stored (disk full, I/O error): fetched again sooner than
  // the regular slot (Scheduler's store_retry, doubling while it keeps failing).
  bool store_failed = false;
};

class Scheduler {
 public:
  using DueCallback = std::function<void(const std::string& source_id)>;

  Scheduler(boost::asio::io_context& io, DueCallback due,
            std::chrono::milliseconds startup_spread = std::chrono::seconds(3),
            std::chrono::milliseconds store_retry = std::chrono::seconds(30));
  ~Scheduler();

  // Adds new sources (due promptly), removes missing ones, and re-plans changed schedules.
  // Sources whose schedule is unchanged keep their plan and in-flight state.
  void SetSources(const std::vector<config::SourceConfig>& sources,
                  const config::FetchPolicy& policy = {});
  // Fetch now (or as soon as the running fetch completes). False for unknown ids.
  bool Trigger(const std::string& id);
  // The pipeline for a due source finished (success or failure).
  void Completed(const std::string& id, const Completion& completion = {});
  void Stop();

  std::vector<SourceSchedule> Snapshot() const;
  std::optional<SourceSchedule> Find(const std::string& id) const;

 private:
  struct Plan;
  struct Entry;
  void Arm(const std::shared_ptr<Entry>& e, SystemTime when, std::string reason);
  void Fire(const std::shared_ptr<Entry>& e);
  // The next regular time after `now` (interval grid + jitter, or cron); at least half an
  // interval after `now` when the run that just began or ended was not on the grid.
  std::pair<SystemTime, std::string> Regular(Entry& e, SystemTime now, bool after_off_grid_run);
  // What Snapshot() and Find() read, copied under mu_: PublishAll() when the set of sources
  // changes, Publish(e) for one source's change (a copy of every source per event would cost
  // O(sources) on each of them: with 10,000 sources, 10^8 copies for one round of fetches).
  void PublishAll();
  void Publish(const Entry& e);
  static SourceSchedule ScheduleOf(const Entry& e);

  boost::asio::io_context& io_;
  DueCallback due_;
  const std::chrono::milliseconds startup_spread_;
  const std::chrono::milliseconds store_retry_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;  // owned by the io thread
  bool stopped_ = false;                                   // owned by the io thread
  std::mt19937_64 rng_{std::random_device{}()};            // owned by the io thread

  mutable std::mutex mu_;
  std::map<std::string, SourceSchedule> published_;  // Guarded by mu_.
};

}  // namespace tributary::service::scheduler
