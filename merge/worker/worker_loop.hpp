#pragma once
// The worker process's side of the pool: a blocking loop that reads request frames from the
// socket the daemon gave it (fd 3), runs the job handler, and writes one reply per request.
// A worker is single-threaded and handles one job at a time; the daemon enforces deadlines by
// killing it. Exceptions from a handler become error replies, except std::bad_alloc: running
// out of memory ends the process with kWorkerExitOutOfMemory, so the daemon retries the job on
// a fresh worker and counts it as "oom". Nothing else is caught, so a real crash kills the
// process and the daemon notices.

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "merge/pool/body_region.hpp"
#include "merge/pool/worker_limits.hpp"

namespace tributary::merge::worker {

struct JobReply {
  nlohmann::json meta;  // {"ok": true, ...} or {"ok": false, "error": {"class":…, "message":…}}
  std::string body;
};

using JobHandler = std::function<JobReply(const nlohmann::json& meta, std::string_view body)>;
using WorkerLimits = pool::WorkerLimits;

// Dies with the parent (PR_SET_PDEATHSIG), disables core dumps, applies RLIMIT_NOFILE and
// RLIMIT_AS (the latter not under AddressSanitizer).
void ApplyWorkerLimits(const WorkerLimits& limits);

// Serves requests until the daemon closes the socket (returns 0) or the stream is corrupt
// (returns pool::kWorkerExitProtocol). Before each job the CPU time limit is moved to the time
// used so far plus limits.cpu_seconds_per_job. Bodies the daemon puts in `region` are read
// where they lie.
int RunWorkerLoop(int fd, const JobHandler& handler, uint64_t max_frame,
                  const WorkerLimits& limits = {}, const pool::BodyRegion* region = nullptr);

// The `tributary worker ARGS...` entry point: parses the limit arguments and the body region
// (`--body-region=`, fd 4), applies the limits, serves fd 3. Returns the process's exit status.
int RunWorkerProcess(const std::vector<std::string>& args, const JobHandler& handler);

JobReply ErrorReply(const std::string& error_class, const std::string& message);

}  // namespace tributary::merge::worker
