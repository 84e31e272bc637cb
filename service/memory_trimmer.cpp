#include "service/memory_trimmer.hpp"

#include <malloc.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cstdlib>
#include <thread>

namespace tributary::service {

MemoryTrimmer::MemoryTrimmer(boost::asio::io_context& io, std::chrono::milliseconds every,
                             std::function<void()> trim)
    : timer_(io), every_(every), trim_(trim ? std::move(trim) : &TrimHeap) {}

void MemoryTrimmer::TrimHeap() {
  // 0: keep no padding at the top of the main heap; every arena is walked.
  malloc_trim(0);
}

void MemoryTrimmer::LimitArenas() {
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return;  // the operator's choice stands
  mallopt(M_ARENA_MAX, static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
}

void MemoryTrimmer::Start() {
  boost::asio::post(timer_.get_executor(), [this] { Schedule(); });
}

void MemoryTrimmer::Stop() {
  // On the timer's thread, where rounds run: the cancel cannot race a round.
  boost::asio::post(timer_.get_executor(), [this, stopped = stopped_] {
    *stopped = true;
    timer_.cancel();
  });
}

void MemoryTrimmer::Schedule() {
  if (*stopped_) return;
  timer_.expires_after(every_);
  timer_.async_wait([this, stopped = stopped_](const boost::system::error_code& ec) {
    if (ec || *stopped) return;
    trim_();
    Schedule();
  });
}

}  // namespace tributary::service
