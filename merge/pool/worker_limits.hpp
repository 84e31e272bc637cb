#pragma once
// The limits a worker process runs under, and how the daemon hands them over: as command-line
// arguments of the worker (`--max-memory=BYTES --cpu-per-job=SECONDS --max-open-files=N`), so
// they are in force before the worker reads its first job.
// Thread safety: plain values and pure functions.

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace tributary::merge::pool {

struct WorkerLimits {
  // RLIMIT_AS in bytes; 0 = unlimited. Never applied under AddressSanitizer, whose shadow
  // memory needs terabytes of address space.
  uint64_t address_space = 0;
  // RLIMIT_CPU per job: before each job the worker sets its soft limit to the CPU time it has
  // used so far plus this many seconds (SIGXCPU kills it). 0 = unlimited.
  int cpu_seconds_per_job = 0;
  int max_open_files = 64;  // RLIMIT_NOFILE
};

// A worker that ran out of memory (std::bad_alloc under RLIMIT_AS) exits with this status, so
// the daemon can tell memory exhaustion from a crash.
inline constexpr int kWorkerExitOutOfMemory = 86;
// A worker whose request stream was corrupt (bad frame, bad body descriptor) exits with this.
inline constexpr int kWorkerExitProtocol = 2;

std::vector<std::string> WorkerLimitArgs(const WorkerLimits& limits);

// Reads the limit arguments among `args` (others are ignored); an unparsable value is an error.
Result<WorkerLimits> ParseWorkerLimitArgs(const std::vector<std::string>& args);

}  // namespace tributary::merge::pool
