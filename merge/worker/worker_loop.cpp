#include "merge/worker/worker_loop.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <exception>

#include "merge/pool/frame.hpp"

namespace tributary::merge::worker {

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

int RunWorkerLoop(int fd, const JobHandler& handler, uint64_t max_frame) {
  for (;;) {
    auto request = pool::ReadFrame(fd, max_frame);
    if (!request) {
      if (request.error().message == "end of stream") return 0;
      std::fprintf(stderr, "worker: %s\n", request.error().message.c_str());
      return 2;
    }
    JobReply reply;
    try {
      const auto meta = nlohmann::json::parse(request->meta);
      reply = handler(meta, request->body);
    } catch (const std::bad_alloc&) {
      reply = ErrorReply("source_broken", "out of memory while processing the document");
    } catch (const std::exception& e) {
      reply = ErrorReply("source_broken", e.what());
    }
    pool::Frame frame;
    frame.type = pool::FrameType::kReply;
    frame.request_id = request->request_id;
    frame.meta = reply.meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    frame.body = std::move(reply.body);
    if (!pool::WriteFrame(fd, frame)) return 0;  // the daemon went away
  }
}

}  // namespace tributary::merge::worker
