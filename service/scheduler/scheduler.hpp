#pragma once
// Decides when each source is fetched. A source with `every` is due on a fixed grid offset by a
// hash of its id (as Prometheus spreads its targets), so many sources with one interval do not
// fire together and a restart keeps the same phase. On start-up every source is fetched
// promptly, spread over `startup_spread`. One source never has two fetches in flight: a slot
// that comes while the previous fetch runs is skipped (a manual trigger is remembered instead).
// Thread safety: all public methods may be called from any thread; the work runs on the
// io_context given at construction (one thread).

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
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
  std::string reason;  // "startup", "interval", "manual"
  bool in_flight = false;
};

class Scheduler {
 public:
  using DueCallback = std::function<void(const std::string& source_id)>;

  Scheduler(boost::asio::io_context& io, DueCallback due,
            std::chrono::milliseconds startup_spread = std::chrono::seconds(3));
  ~Scheduler();

  // Adds new sources (due promptly), removes missing ones, and re-plans changed intervals.
  // Sources whose interval is unchanged keep their plan and in-flight state.
  void SetSources(const std::vector<config::SourceConfig>& sources);
  // Fetch now (or as soon as the running fetch completes). False for unknown ids.
  bool Trigger(const std::string& id);
  // The pipeline for a due source finished (success or failure).
  void Completed(const std::string& id);
  void Stop();

  std::vector<SourceSchedule> Snapshot() const;

 private:
  struct Entry;
  void Arm(const std::shared_ptr<Entry>& e, SystemTime when, std::string reason);
  void Fire(const std::shared_ptr<Entry>& e);
  void Publish();

  boost::asio::io_context& io_;
  DueCallback due_;
  const std::chrono::milliseconds startup_spread_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;  // owned by the io thread
  bool stopped_ = false;                                   // owned by the io thread

  mutable std::mutex mu_;
  std::vector<SourceSchedule> published_;  // Guarded by mu_.
};

}  // namespace tributary::service::scheduler
