#include "merge/worker/test_hooks.hpp"

#ifdef TRIBUTARY_TEST_HOOKS
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <string>
#include <vector>
#endif

namespace tributary::merge::worker {

#ifdef TRIBUTARY_TEST_HOOKS
namespace {

bool Contains(std::string_view body, std::string_view marker) {
  return body.find(marker) != std::string_view::npos;
}

[[noreturn]] void Crash() {
  // The default action even under AddressSanitizer, whose handler would turn it into exit(1).
  ::signal(SIGSEGV, SIG_DFL);
  ::raise(SIGSEGV);
  ::_exit(139);
}

[[noreturn]] void Block() {
  for (;;) ::pause();
}

// Grows in touched 16 MiB blocks until operator new fails. It stops by itself at a ceiling, so
// a test run without RLIMIT_AS (a sanitizer build, max_memory 0) cannot take the machine down.
[[noreturn]] void ExhaustMemory() {
#ifdef TRIBUTARY_SANITIZE
  constexpr size_t kCeiling = size_t{256} << 20;
#else
  constexpr size_t kCeiling = size_t{4} << 30;
#endif
  constexpr size_t kBlock = size_t{16} << 20;
  std::vector<std::unique_ptr<char[]>> blocks;
  blocks.reserve(kCeiling / kBlock);
  for (size_t total = 0; total < kCeiling; total += kBlock) {
    blocks.emplace_back(new char[kBlock]);
    std::memset(blocks.back().get(), 0x5a, kBlock);
  }
  throw std::bad_alloc();
}

[[noreturn]] void SpinForever() {
  volatile unsigned long counter = 0;
  for (;;) counter = counter + 1;
}

}  // namespace

void MaybeMisbehave(std::string_view body, int socket) {
  if (!Contains(body, "TRIBUTARY-TEST-")) return;
  constexpr std::string_view kFlaky = "TRIBUTARY-TEST-FLAKY:";
  if (const auto at = body.find(kFlaky); at != std::string_view::npos) {
    const auto rest = body.substr(at + kFlaky.size());
    const std::string path(rest.substr(0, rest.find_first_of(" \t\r\n<\"'")));
    if (std::ifstream(path).good()) return;
    std::ofstream(path) << "crashed once\n";
    Crash();
  }
  if (Contains(body, "TRIBUTARY-TEST-CRASH")) Crash();
  if (Contains(body, "TRIBUTARY-TEST-HANG")) Block();
  if (Contains(body, "TRIBUTARY-TEST-SPIN")) SpinForever();
  if (Contains(body, "TRIBUTARY-TEST-MEMORY")) ExhaustMemory();
  if (Contains(body, "TRIBUTARY-TEST-GARBAGE")) {
    static const char kJunk[] = "this is not a frame header, not at all";
    [[maybe_unused]] const ssize_t ignored = ::write(socket, kJunk, sizeof kJunk - 1);
    Block();
  }
}
#else
void MaybeMisbehave(std::string_view, int) {}
#endif

}  // namespace tributary::merge::worker
