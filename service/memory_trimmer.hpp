#pragma once
// Gives the heap memory freed after a burst back to the system. glibc keeps what a burst freed
// (the first fetch of thousands of sources, a full merge, a /metrics scrape of every source) in
// its per-thread arenas, so an idle daemon would stay at its peak resident size; every interval
// the trimmer asks the allocator to return free pages (malloc_trim: whole free pages, also
// inside an arena, go back with MADV_DONTNEED). A trim takes milliseconds; objects still in use
// are never moved.
// Thread safety: Start and Stop from the controlling thread; trims run on the given io_context.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>

namespace tributary::service {

class MemoryTrimmer {
 public:
  // `trim`: what a round does (TrimHeap by default).
  MemoryTrimmer(boost::asio::io_context& io, std::chrono::milliseconds every,
                std::function<void()> trim = {});
  void Start();
  // Cancels the timer (on the io_context's thread: run it, or drain it, before destroying this).
  void Stop();
  static void TrimHeap();
  // Caps glibc's arenas at max(2, cores) unless MALLOC_ARENA_MAX says otherwise. By default a
  // thread that meets a locked arena makes a new one, up to 8 per core; the daemon's dozen
  // threads then spread a burst's garbage over many heaps that are never whole pages free
  // together (10,000 idle sources: 411 MB resident with the default, 289 MB with 2). Call it
  // before starting threads.
  static void LimitArenas();

 private:
  void Schedule();

  boost::asio::steady_timer timer_;
  const std::chrono::milliseconds every_;
  const std::function<void()> trim_;
  std::shared_ptr<bool> stopped_ = std::make_shared<bool>(false);  // the io_context's thread
};

}  // namespace tributary::service
