// A worker process for the pool tests: the real request loop (with the limit arguments the pool
// passes) and jobs that misbehave on demand.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "merge/worker/worker_loop.hpp"

using tributary::merge::worker::JobReply;

namespace {

int OpenFdCount() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d) != nullptr) ++n;
    closedir(d);
  }
  return n - 3;  // ".", ".." and the directory's own descriptor
}

JobReply Handle(const nlohmann::json& meta, std::string_view body) {
  const std::string job = meta.value("job", "");
  if (job == "echo") {
    return JobReply{{{"ok", true},
                     {"echo", meta.value("value", nlohmann::json())},
                     {"pid", getpid()},
                     {"body_size", body.size()},
                     {"open_fds", OpenFdCount()}},
                    std::string(body)};
  }
  if (job == "sum") {  // reads every byte of the body without copying it (after "ms" ms)
    std::this_thread::sleep_for(std::chrono::milliseconds(meta.value("ms", 0)));
    uint64_t sum = 0;
    for (unsigned char c : body) sum += c;
    return JobReply{{{"ok", true}, {"sum", sum}, {"open_fds", OpenFdCount()}}, {}};
  }
  if (job == "env") {  // one variable of the worker's environment
    const char* value = std::getenv(meta.value("name", "").c_str());
    return JobReply{{{"ok", true}, {"value", value != nullptr ? value : ""}}, {}};
  }
  if (job == "sleep") {  // keeps its worker busy, so that the next job goes to another one
    std::this_thread::sleep_for(std::chrono::milliseconds(meta.value("ms", 0)));
    return JobReply{{{"ok", true}, {"pid", getpid()}}, {}};
  }
  if (job == "crash") {
    signal(SIGSEGV, SIG_DFL);  // die by the signal even under AddressSanitizer
    raise(SIGSEGV);
  }
  if (job == "sigkill") raise(SIGKILL);
  if (job == "exit") std::_Exit(3);
  if (job == "hang") {
    for (;;) pause();
  }
  if (job == "spin") {
    volatile unsigned long n = 0;
    for (;;) n = n + 1;
  }
  if (job == "oom") {
#ifdef TRIBUTARY_SANITIZE
    constexpr int kBlocks = 16;  // no RLIMIT_AS under ASan: stop by ourselves at 256 MiB
#else
    constexpr int kBlocks = 256;  // at most 4 GiB, even without RLIMIT_AS
#endif
    std::vector<std::unique_ptr<char[]>> blocks;
    for (int i = 0; i < kBlocks; ++i) {
      blocks.emplace_back(new char[16 << 20]);
      std::memset(blocks.back().get(), 1, 16 << 20);
    }
    throw std::bad_alloc();
  }
  if (job == "garbage") {
    static const char kJunk[] = "not a frame header, not at all, not even close";
    [[maybe_unused]] ssize_t w = write(3, kJunk, sizeof kJunk - 1);
    for (;;) pause();
  }
  if (job == "close") {
    close(3);  // drops the connection but keeps running
    for (;;) pause();
  }
  if (job == "crash_once") {
    // Crashes unless the marker file exists; creates it first, so the retry succeeds.
    const std::string marker = meta.at("marker").get<std::string>();
    if (!std::ifstream(marker).good()) {
      std::ofstream(marker) << "x";
      signal(SIGSEGV, SIG_DFL);
      raise(SIGSEGV);
    }
    uint64_t sum = 0;
    for (unsigned char c : body) sum += c;
    return JobReply{{{"ok", true}, {"pid", getpid()}, {"sum", sum}}, {}};
  }
  if (job == "throw") throw std::runtime_error("handler threw");
  return tributary::merge::worker::ErrorReply("permanent", "unknown job");
}

}  // namespace

int main(int argc, char** argv) {
  return tributary::merge::worker::RunWorkerProcess(std::vector<std::string>(argv + 1, argv + argc),
                                                    Handle);
}
