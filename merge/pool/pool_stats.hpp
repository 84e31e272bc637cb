#pragma once
// What the worker pool reports about itself, for /metrics, the status endpoints and logs: why
// workers were lost (the failure causes), and a snapshot of the pool's state and counters.
// Thread safety: plain values.

#include <array>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

namespace tributary::merge::pool {

// Why a worker was lost while it ran a job.
enum class FailureCause : uint8_t {
  kCrash,        // died by a signal or an unexpected exit status
  kTimeout,      // overran workers.job_timeout (killed) or its CPU time limit (SIGXCPU)
  kOutOfMemory,  // ran out of memory under RLIMIT_AS, or was killed by the kernel's OOM killer
  kProtocol,     // sent something that is not a valid reply, or dropped the connection
};
inline constexpr size_t kFailureCauseCount = 4;
inline constexpr std::array kFailureCauses = {FailureCause::kCrash, FailureCause::kTimeout,
                                              FailureCause::kOutOfMemory, FailureCause::kProtocol};

// "crash", "timeout", "oom", "protocol": the label values used in metrics and the API.
const char* FailureCauseName(FailureCause cause);

struct PoolStats {
  // State now.
  int configured = 0;            // workers.processes
  int processes = 0;             // live worker processes
  int busy = 0;                  // of which running a job
  size_t queued = 0;             // jobs waiting for a worker (or queued ahead on a busy one)
  bool brake_active = false;     // respawns are being delayed by the crash-loop brake
  int64_t respawn_delay_ms = 0;  // the brake's current delay (0 when inactive)

  // Counters since the pool started.
  uint64_t jobs_submitted = 0;
  uint64_t jobs_completed = 0;  // a worker replied (the reply itself may report a job error)
  uint64_t jobs_failed = 0;     // no worker could complete it: lost on every attempt, or stopped
  uint64_t jobs_retried = 0;    // sent again to a fresh worker after a loss
  std::array<uint64_t, kFailureCauseCount> losses{};  // workers lost running a job, by cause
  uint64_t idle_losses = 0;                           // workers lost while idle
  uint64_t spawns = 0;                                // worker processes started
  uint64_t respawns = 0;                              // of which replacements
  uint64_t spawn_failures = 0;                        // posix_spawn (or socketpair) failed
  uint64_t brake_engagements = 0;  // times the crash-loop brake delayed a respawn
  uint64_t shared_bodies = 0;      // request bodies passed as a sealed memfd
  uint64_t region_bodies = 0;      // request bodies written into the worker's body region
  uint64_t queued_ahead = 0;       // requests written to a worker still running another job

  uint64_t Losses(FailureCause cause) const { return losses[static_cast<size_t>(cause)]; }
  uint64_t TotalLosses() const;
};

// {"processes":…, "busy":…, "queued":…, "jobs":{…}, "failures":{"crash":…,…}, "brake":{…}, …}
nlohmann::json ToJson(const PoolStats& stats);

}  // namespace tributary::merge::pool
