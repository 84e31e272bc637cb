#pragma once
// The worker process's side of the pool: a blocking loop that reads request frames from the
// socket the daemon gave it (fd 3), runs the job handler, and writes one reply per request.
// A worker is single-threaded and handles one job at a time; the daemon enforces deadlines by
// killing it. Exceptions from a handler become error replies; nothing else is caught, so a real
// crash kills the process and the daemon notices.

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace tributary::merge::worker {

struct JobReply {
  nlohmann::json meta;  // {"ok": true, ...} or {"ok": false, "error": {"class":…, "message":…}}
  std::string body;
};

using JobHandler = std::function<JobReply(const nlohmann::json& meta, std::string_view body)>;

struct WorkerLimits {
  uint64_t address_space = 0;  // bytes; 0 = unlimited (always 0 under AddressSanitizer)
  int max_open_files = 64;
};

// Dies with the parent (PR_SET_PDEATHSIG), disables core dumps, applies rlimits.
void ApplyWorkerLimits(const WorkerLimits& limits);

// Serves requests until the daemon closes the socket (returns 0) or the stream is corrupt
// (returns 2).
int RunWorkerLoop(int fd, const JobHandler& handler, uint64_t max_frame);

JobReply ErrorReply(const std::string& error_class, const std::string& message);

}  // namespace tributary::merge::worker
