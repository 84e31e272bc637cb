#include "service/scheduler/scheduler.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <condition_variable>
#include <thread>

namespace tributary::service::scheduler {
namespace {

using std::chrono::milliseconds;

TEST(NextSlot, IsOnTheGridAndStrictlyAfterNow) {
  const auto every = milliseconds(15 * 60 * 1000);
  const auto offset = milliseconds(123456);
  for (int64_t now_ms : {int64_t{0}, int64_t{123456}, int64_t{1764077927123}, int64_t{-5}}) {
    const auto slot = NextSlot(FromUnixMillis(now_ms), every, offset);
    const int64_t s = ToUnixMillis(slot);
    EXPECT_GT(s, now_ms);
    EXPECT_LE(s - now_ms, every.count());
    EXPECT_EQ(((s - offset.count()) % every.count() + every.count()) % every.count(), 0);
  }
}

TEST(PhaseOffset, IsStableAndWithinTheInterval) {
  const auto every = milliseconds(60000);
  EXPECT_EQ(PhaseOffset("books", every), PhaseOffset("books", every));
  EXPECT_NE(PhaseOffset("books", every), PhaseOffset("quotes", every));
  for (const char* id : {"a", "b", "books", "quotes", "x-very-long-source-id"}) {
    EXPECT_GE(PhaseOffset(id, every).count(), 0);
    EXPECT_LT(PhaseOffset(id, every).count(), every.count());
  }
}

// Records the due calls; the test waits on a condition variable for the expected count.
class Recorder {
 public:
  void Due(const std::string& id) {
    std::lock_guard lock(mu_);
    calls_.push_back(id);
    cv_.notify_all();
  }
  std::vector<std::string> WaitFor(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return calls_.size() >= n; });
    return calls_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> calls_;
};

config::SourceConfig Source(std::string id, milliseconds every) {
  config::SourceConfig s;
  s.id = std::move(id);
  s.every = every;
  return s;
}

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scheduler_ = std::make_unique<Scheduler>(
        io_, [this](const std::string& id) { rec_.Due(id); }, milliseconds(50));
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    scheduler_->Stop();
    work_.reset();
    thread_.join();
  }
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  Recorder rec_;
  std::unique_ptr<Scheduler> scheduler_;
  std::thread thread_;
};

TEST_F(SchedulerTest, EverySourceIsDuePromptlyAtStartup) {
  scheduler_->SetSources({Source("a", std::chrono::hours(1)), Source("b", std::chrono::hours(1))});
  auto calls = rec_.WaitFor(2);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(std::set<std::string>(calls.begin(), calls.end()), (std::set<std::string>{"a", "b"}));
}

TEST_F(SchedulerTest, NeverTwoInFlightAndTriggerRunsAfterCompletion) {
  scheduler_->SetSources({Source("a", std::chrono::hours(1))});
  ASSERT_EQ(rec_.WaitFor(1).size(), 1u);
  // In flight: a manual trigger is remembered, not run concurrently.
  EXPECT_TRUE(scheduler_->Trigger("a"));
  EXPECT_EQ(scheduler_->Snapshot().at(0).in_flight, true);
  scheduler_->Completed("a");
  auto calls = rec_.WaitFor(2);
  EXPECT_EQ(calls.size(), 2u);
  EXPECT_FALSE(scheduler_->Trigger("unknown"));
}

TEST_F(SchedulerTest, RemovedSourcesStop) {
  scheduler_->SetSources({Source("a", std::chrono::hours(1))});
  ASSERT_EQ(rec_.WaitFor(1).size(), 1u);
  scheduler_->SetSources({});
  EXPECT_FALSE(scheduler_->Trigger("a"));
  EXPECT_TRUE(scheduler_->Snapshot().empty());
}

}  // namespace
}  // namespace tributary::service::scheduler
