#pragma once
// Spawning and reaping one worker process. posix_spawn of our own binary (never a bare fork of
// the threaded daemon) with one end of a socketpair as fd 3; the caller keeps the other end.
// Thread safety: plain functions; call them from the pool's thread.

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/result.hpp"
#include "merge/pool/body_region.hpp"
#include "merge/pool/pool_stats.hpp"
#include "merge/pool/worker_limits.hpp"

namespace tributary::merge::pool {

struct SpawnedProcess {
  pid_t pid = -1;
  int socket_fd = -1;  // the daemon's end of the socketpair (close-on-exec)
};

// glibc's malloc tunables for workers, unless the daemon's environment sets GLIBC_TUNABLES
// itself. libxml2 allocates every node of a document and frees the whole tree at once; with
// glibc's default of 7 cached chunks per size, most of those frees go back to the arena (and
// malloc_consolidate) only for the next document to allocate them again. A deeper per-thread
// cache keeps them for the next document (bench/README.md, extract, has the figures).
// And glibc gives the top of the heap back to the kernel as soon as 128 KiB of it is free,
// which a worker did after every document, only to grow it again for the next one: a brk
// and page faults per job, and the TLB shootdowns of shrinking. Up to 4 MiB free at the top
// stay (1 MiB added to each growth), a bounded cost per worker (bench/README.md, pool).
inline constexpr const char* kWorkerMallocTunables =
    "glibc.malloc.tcache_count=4000:glibc.malloc.trim_threshold=4194304:"
    "glibc.malloc.top_pad=1048576";

// Spawns `exe args...` with the child's end of a socketpair on fd 3 (and `region_fd`, when
// given, on kBodyRegionFd), default signal dispositions and an empty signal mask (the daemon
// blocks and handles signals; workers must not inherit that). The environment is the daemon's,
// plus kWorkerMallocTunables.
Result<SpawnedProcess> SpawnWorkerProcess(const std::string& exe,
                                          const std::vector<std::string>& args,
                                          int region_fd = -1);

// "exited with status 3", "killed by signal 11 (Segmentation fault)".
std::string DescribeWaitStatus(int status);

// Why a worker process ended, as the pool counts and reports it.
struct WorkerLoss {
  FailureCause cause = FailureCause::kCrash;
  std::string description;  // "killed by signal 11 (Segmentation fault)", "ran out of memory …"
};

// Classifies a reaped worker's wait status. `killed_by_pool` says whether the pool sent the
// SIGKILL (otherwise a SIGKILL is taken for the kernel's out-of-memory killer).
WorkerLoss ClassifyWaitStatus(int status, bool killed_by_pool, const WorkerLimits& limits);

// The path of the running executable (/proc/self/exe resolved), for spawning ourselves.
std::string SelfExecutablePath();

}  // namespace tributary::merge::pool
