// A worker process for the pool tests: the real request loop with jobs that misbehave on demand.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "merge/pool/frame.hpp"
#include "merge/worker/worker_loop.hpp"

using tributary::merge::worker::JobReply;

int main() {
  tributary::merge::worker::ApplyWorkerLimits({});
  return tributary::merge::worker::RunWorkerLoop(
      3,
      [](const nlohmann::json& meta, std::string_view body) -> JobReply {
        const std::string job = meta.value("job", "");
        if (job == "echo") {
          return JobReply{{{"ok", true},
                           {"echo", meta.value("value", nlohmann::json())},
                           {"pid", getpid()},
                           {"body_size", body.size()}},
                          std::string(body)};
        }
        if (job == "crash") raise(SIGSEGV);
        if (job == "exit") std::_Exit(3);
        if (job == "hang") {
          for (;;) pause();
        }
        if (job == "crash_once") {
          // Crashes unless the marker file exists; creates it first, so the retry succeeds.
          const std::string marker = meta.at("marker").get<std::string>();
          if (!std::ifstream(marker).good()) {
            std::ofstream(marker) << "x";
            raise(SIGSEGV);
          }
          return JobReply{{{"ok", true}, {"pid", getpid()}}, {}};
        }
        if (job == "throw") throw std::runtime_error("handler threw");
        return tributary::merge::worker::ErrorReply("permanent", "unknown job");
      },
      tributary::merge::pool::kDefaultMaxFrame);
}
