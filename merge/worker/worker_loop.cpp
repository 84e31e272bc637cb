#include "merge/worker/worker_loop.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <new>

#include "merge/pool/frame.hpp"
#include "merge/worker/test_hooks.hpp"

namespace tributary::merge::worker {
namespace {

// Moves the soft RLIMIT_CPU to (CPU time used so far, rounded up) + budget. Only the soft limit
// moves: an unprivileged process cannot raise its hard limit again once lowered.
void SetJobCpuBudget(int seconds) {
  if (seconds <= 0) return;
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return;
  const rlim_t used = static_cast<rlim_t>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + 1;
  rlimit cpu{};
  if (getrlimit(RLIMIT_CPU, &cpu) != 0) return;
  rlim_t soft = used + static_cast<rlim_t>(seconds);
  if (cpu.rlim_max != RLIM_INFINITY) soft = std::min(soft, cpu.rlim_max);
  cpu.rlim_cur = soft;
  setrlimit(RLIMIT_CPU, &cpu);
}

[[noreturn]] void ExitOutOfMemory() {
  // No allocation here: the heap is what just ran out.
  static const char kMessage[] = "worker: out of memory\n";
  [[maybe_unused]] const ssize_t ignored = ::write(2, kMessage, sizeof kMessage - 1);
  ::_exit(pool::kWorkerExitOutOfMemory);
}

}  // namespace

JobReply ErrorReply(const std::string& error_class, const std::string& message) {
  JobReply reply;
  reply.meta = {{"ok", false}, {"error", {{"class", error_class}, {"message", message}}}};
  return reply;
}

void ApplyWorkerLimits(const WorkerLimits& limits) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The parent may have died between spawn and prctl; then we were re-parented already.
  if (getppid() == 1) _exit(0);
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  if (limits.max_open_files > 0) {
    rlimit files{static_cast<rlim_t>(limits.max_open_files),
                 static_cast<rlim_t>(limits.max_open_files)};
    setrlimit(RLIMIT_NOFILE, &files);
  }
#ifndef TRIBUTARY_SANITIZE
  if (limits.address_space > 0) {
    rlimit as{static_cast<rlim_t>(limits.address_space), static_cast<rlim_t>(limits.address_space)};
    setrlimit(RLIMIT_AS, &as);
  }
#endif
}

int RunWorkerLoop(int fd, const JobHandler& handler, uint64_t max_frame,
                  const WorkerLimits& limits, const pool::BodyRegion* region) {
  for (;;) {
    pool::Frame reply_frame;
    {
      auto request = pool::ReadFrame(fd, max_frame, pool::SystemFdIo(), region);
      if (!request) {
        if (request.error().message == "end of stream") return 0;
        std::fprintf(stderr, "worker: %s\n", request.error().message.c_str());
        return pool::kWorkerExitProtocol;
      }
      SetJobCpuBudget(limits.cpu_seconds_per_job);
      JobReply reply;
      try {
        MaybeMisbehave(request->Body(), fd);
        const auto meta = nlohmann::json::parse(request->meta);
        reply = handler(meta, request->Body());
        reply_frame.meta =
            reply.meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      } catch (const std::bad_alloc&) {
        ExitOutOfMemory();
      } catch (const std::exception& e) {
        reply = ErrorReply("source_broken", e.what());
        reply_frame.meta =
            reply.meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      }
      reply_frame.type = pool::FrameType::kReply;
      reply_frame.request_id = request->request_id;
      reply_frame.body = std::move(reply.body);
    }  // the request (and its mapped body) is released before the reply goes out
    if (!pool::WriteFrame(fd, reply_frame)) return 0;  // the daemon went away
  }
}

int RunWorkerProcess(const std::vector<std::string>& args, const JobHandler& handler) {
  auto limits = pool::ParseWorkerLimitArgs(args);
  if (!limits) {
    std::fprintf(stderr, "%s\n", limits.error().message.c_str());
    return 64;
  }
  auto region = pool::BodyRegion::FromWorkerArgs(args);
  if (!region) {
    std::fprintf(stderr, "worker: %s\n", region.error().message.c_str());
    return 64;
  }
  ApplyWorkerLimits(*limits);
  return RunWorkerLoop(3, handler, pool::kDefaultMaxFrame, *limits, region->get());
}

}  // namespace tributary::merge::worker
