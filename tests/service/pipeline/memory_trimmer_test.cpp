// The memory trimmer: rounds at its interval until stopped, and the allocator's trim it relies
// on really gives a burst's freed memory back (resident size, read from /proc/self/statm).
#include "service/memory_trimmer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace tributary::service {
namespace {

using namespace std::chrono_literals;

[[maybe_unused]] size_t ResidentBytes() {  // unused under ASan
  std::ifstream statm("/proc/self/statm");
  size_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

TEST(MemoryTrimmer, TrimsAtItsIntervalUntilStopped) {
  boost::asio::io_context io;
  std::mutex mu;
  std::condition_variable cv;
  int rounds = 0;
  MemoryTrimmer trimmer(io, 5ms, [&] {
    std::lock_guard lock(mu);
    ++rounds;
    cv.notify_all();
  });
  auto work = boost::asio::make_work_guard(io);
  std::thread thread([&] { io.run(); });
  trimmer.Start();
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return rounds >= 3; }));
  }
  trimmer.Stop();
  // Once the Stop has run on the io thread, no round follows, however long the wait.
  std::promise<int> after_stop;
  boost::asio::post(io, [&] {
    std::lock_guard lock(mu);
    after_stop.set_value(rounds);
  });
  const int stopped_at = after_stop.get_future().get();
  std::promise<void> later;
  boost::asio::steady_timer wait(io, 50ms);  // ten intervals
  wait.async_wait([&](auto) { later.set_value(); });
  later.get_future().wait();
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(rounds, stopped_at);
  }
  work.reset();
  io.stop();
  thread.join();
}

TEST(MemoryTrimmer, TheAllocatorGivesABurstsFreedMemoryBack) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer has its own allocator; malloc_trim does not reach it";
#else
  // A burst on another thread (its own arena, as the daemon's threads have): 96 MiB in blocks
  // below the mmap threshold, all freed but one at the end, which keeps the heap from
  // shrinking from the top: only a trim inside the arena gives the pages back.
  constexpr size_t kBlock = 32 << 10;
  constexpr size_t kBlocks = (96 << 20) / kBlock;
  size_t before_trim = 0;
  size_t after_trim = 0;
  std::thread burst([&] {
    std::vector<char*> blocks;
    for (size_t i = 0; i < kBlocks; ++i) {
      char* block = static_cast<char*>(std::malloc(kBlock));
      std::fill(block, block + kBlock, static_cast<char>(i));  // make it resident
      blocks.push_back(block);
    }
    for (size_t i = 0; i + 1 < blocks.size(); ++i) std::free(blocks[i]);
    before_trim = ResidentBytes();
    MemoryTrimmer::TrimHeap();
    after_trim = ResidentBytes();
    std::free(blocks.back());
  });
  burst.join();
  EXPECT_LT(after_trim + (64u << 20), before_trim)
      << "resident " << (before_trim >> 20) << " MiB before the trim, " << (after_trim >> 20)
      << " MiB after";
#endif
}

}  // namespace
}  // namespace tributary::service
