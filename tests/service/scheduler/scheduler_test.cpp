#include "service/scheduler/scheduler.hpp"

#include "service/scheduler/cron_schedule.hpp"

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
  size_t Count() {
    std::lock_guard lock(mu_);
    return calls_.size();
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
  static constexpr milliseconds kStoreRetry{200};
  void SetUp() override {
    scheduler_ = std::make_unique<Scheduler>(
        io_, [this](const std::string& id) { rec_.Due(id); }, milliseconds(50), kStoreRetry);
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
  // Polls the published plan (bounded) until `id` is in flight: the due call comes before the
  // plan is published, so a test that waited for the call may still read the plan before it.
  bool WaitForInFlight(const std::string& id) {
    for (int i = 0; i < 1000; ++i) {
      auto s = scheduler_->Find(id);
      if (s && s->in_flight) return true;
      std::this_thread::sleep_for(milliseconds(5));
    }
    return false;
  }
  // Polls the published plan (bounded) until `id` is due for `reason`.
  bool WaitForReason(const std::string& id, const std::string& reason) {
    for (int i = 0; i < 1000; ++i) {
      auto s = scheduler_->Find(id);
      if (s && s->reason == reason && !s->in_flight) return true;
      std::this_thread::sleep_for(milliseconds(5));
    }
    return false;
  }
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
  // In flight: a manual trigger is remembered, not run concurrently. Trigger returns once the
  // scheduler's thread has handled it, so a concurrent run would have been recorded by now.
  EXPECT_TRUE(scheduler_->Trigger("a"));
  EXPECT_EQ(rec_.Count(), 1u);
  EXPECT_EQ(scheduler_->Snapshot().at(0).in_flight, true);
  scheduler_->Completed("a");
  auto calls = rec_.WaitFor(2);
  EXPECT_EQ(calls.size(), 2u);
  EXPECT_FALSE(scheduler_->Trigger("unknown"));
}

TEST_F(SchedulerTest, ASlotThatComesWhileInFlightWaitsForTheCompletion) {
  scheduler_->SetSources({Source("fast", milliseconds(100))});
  ASSERT_EQ(rec_.WaitFor(1).size(), 1u);
  // What is under test is the interval timer itself: let three slots pass while in flight.
  std::this_thread::sleep_for(milliseconds(350));
  EXPECT_FALSE(scheduler_->Trigger("unknown"));  // a round trip through the scheduler's thread
  EXPECT_EQ(rec_.Count(), 1u) << "a slot started a second fetch while one was in flight";
  scheduler_->Completed("fast");
  EXPECT_EQ(rec_.WaitFor(2).size(), 2u);
}

TEST_F(SchedulerTest, JitterStaysWithinItsBound) {
  // Regular() is observed through the published plan after a completion.
  config::SourceConfig s = Source("j", milliseconds(60000));
  s.fetch.jitter = milliseconds(5000);
  // The scheduler picks the slot at least half an interval after a moment between these two
  // (the start-up fire, off the grid, or the completion); a slot boundary between them (rare:
  // they are milliseconds apart) widens the bound by one interval instead of failing the test.
  const auto earliest = std::chrono::system_clock::now();
  scheduler_->SetSources({s});
  ASSERT_EQ(rec_.WaitFor(1).size(), 1u);
  scheduler_->Completed("j");
  ASSERT_TRUE(WaitForReason("j", "interval"));
  const auto latest = std::chrono::system_clock::now();
  const auto plan = *scheduler_->Find("j");
  const auto offset = PhaseOffset("j", milliseconds(60000));
  EXPECT_GE(plan.next_due, NextSlot(earliest + milliseconds(30000), milliseconds(60000), offset));
  EXPECT_LE(plan.next_due, NextSlot(latest + milliseconds(30000), milliseconds(60000), offset) +
                               milliseconds(5000));
}

// A source whose grid slot comes seconds after its start-up fetch is not fetched again at that
// slot (the origin would see the same request twice in a row) but at the one after; a run at a
// slot is followed by the next slot.
TEST_F(SchedulerTest, ARunOffTheGridSkipsASlotThatFollowsItClosely) {
  const milliseconds every(60000);
  // An id whose next slot is 5-10 s away: the start-up fetch (within 50 ms) comes just before it.
  const auto now = std::chrono::system_clock::now();
  std::string id;
  for (int i = 0; i < 10000 && id.empty(); ++i) {
    const std::string candidate = "s" + std::to_string(i);
    const auto slot = NextSlot(now, every, PhaseOffset(candidate, every));
    if (slot > now + milliseconds(5000) && slot < now + milliseconds(10000)) id = candidate;
  }
  ASSERT_FALSE(id.empty());
  const auto close_slot = NextSlot(now, every, PhaseOffset(id, every));
  scheduler_->SetSources({Source(id, every)});
  ASSERT_EQ(rec_.WaitFor(1).size(), 1u);
  ASSERT_LT(std::chrono::system_clock::now(), close_slot);  // the start-up fetch came first
  scheduler_->Completed(id);
  ASSERT_TRUE(WaitForReason(id, "interval"));
  EXPECT_EQ(scheduler_->Find(id)->next_due, close_slot + every);

  // A manual run is off the grid too: the slot seconds after it is skipped as well.
  EXPECT_TRUE(scheduler_->Trigger(id));
  ASSERT_EQ(rec_.WaitFor(2).size(), 2u);
  scheduler_->Completed(id);
  ASSERT_TRUE(WaitForReason(id, "interval"));
  ASSERT_LT(std::chrono::system_clock::now(), close_slot);
  EXPECT_EQ(scheduler_->Find(id)->next_due, close_slot + every);
}

TEST_F(SchedulerTest, RetryAfterAndCircuitPushTheNextRunLaterAndSayWhy) {
  scheduler_->SetSources({Source("a", milliseconds(60000)), Source("b", milliseconds(60000))});
  ASSERT_EQ(rec_.WaitFor(2).size(), 2u);
  const auto now = std::chrono::system_clock::now();
  Completion limited;
  limited.failed = true;
  limited.retry_after = now + std::chrono::hours(2);
  scheduler_->Completed("a", limited);
  Completion open;
  open.failed = true;
  open.circuit_open_until = now + std::chrono::hours(3);
  scheduler_->Completed("b", open);
  ASSERT_TRUE(WaitForReason("a", "retry-after"));
  ASSERT_TRUE(WaitForReason("b", "circuit open"));
  EXPECT_EQ(scheduler_->Find("a")->next_due, *limited.retry_after);
  EXPECT_EQ(scheduler_->Find("b")->next_due, *open.circuit_open_until);
  EXPECT_EQ(scheduler_->Find("a")->consecutive_failures, 1);
}

// A run whose results could not be stored is fetched again soon, not a whole interval later,
// the delay doubling while it keeps failing; a Retry-After still holds it back.
TEST_F(SchedulerTest, AStoreRetryComesSoonerDoublesAndYieldsToRetryAfter) {
  scheduler_->SetSources({Source("a", milliseconds(3600000)), Source("b", milliseconds(3600000))});
  ASSERT_EQ(rec_.WaitFor(2).size(), 2u);
  Completion unstored;
  unstored.store_failed = true;
  unstored.hint = std::chrono::hours(5);  // a server hint does not lengthen a store retry
  Completion held = unstored;
  held.retry_after = std::chrono::system_clock::now() + std::chrono::hours(2);
  scheduler_->Completed("b", held);
  ASSERT_TRUE(WaitForReason("b", "retry-after"));
  EXPECT_EQ(scheduler_->Find("b")->next_due, *held.retry_after);

  // "a": due one store retry after its completion, and fetched again then.
  auto before = std::chrono::system_clock::now();
  scheduler_->Completed("a", unstored);
  ASSERT_TRUE(WaitForReason("a", "store retry"));
  auto after = std::chrono::system_clock::now();
  EXPECT_GE(scheduler_->Find("a")->next_due, before + kStoreRetry);
  EXPECT_LE(scheduler_->Find("a")->next_due, after + kStoreRetry);
  ASSERT_EQ(rec_.WaitFor(3).size(), 3u);
  EXPECT_EQ(rec_.WaitFor(3).back(), "a");
  ASSERT_TRUE(WaitForInFlight("a"));
  // Failing again: twice the delay.
  before = std::chrono::system_clock::now();
  scheduler_->Completed("a", unstored);
  ASSERT_TRUE(WaitForReason("a", "store retry"));
  after = std::chrono::system_clock::now();
  EXPECT_GE(scheduler_->Find("a")->next_due, before + 2 * kStoreRetry);
  EXPECT_LE(scheduler_->Find("a")->next_due, after + 2 * kStoreRetry);
  ASSERT_EQ(rec_.WaitFor(4).size(), 4u);
  // Stored at last: back to the regular interval.
  scheduler_->Completed("a", Completion{});
  ASSERT_TRUE(WaitForReason("a", "interval"));
}

TEST_F(SchedulerTest, ServerHintsLengthenWithinTheBoundAndFailuresBackOff) {
  config::FetchPolicy policy;
  policy.hints_max = milliseconds(10 * 60000);
  scheduler_->SetSources({Source("h", milliseconds(60000))}, policy);
  ASSERT_EQ(rec_.WaitFor(1).size(), 1u);
  const auto started = std::chrono::system_clock::now();
  Completion hinted;
  hinted.hint = std::chrono::hours(5);  // beyond the bound: capped at 10 minutes
  scheduler_->Completed("h", hinted);
  ASSERT_TRUE(WaitForReason("h", "server hint"));
  const auto due = scheduler_->Find("h")->next_due;
  EXPECT_GE(due, started + milliseconds(10 * 60000) - milliseconds(2000));
  EXPECT_LE(due, started + milliseconds(10 * 60000) + milliseconds(2000));

  // Two failed runs in a row: the interval doubles.
  EXPECT_TRUE(scheduler_->Trigger("h"));
  ASSERT_EQ(rec_.WaitFor(2).size(), 2u);
  Completion failed;
  failed.failed = true;
  scheduler_->Completed("h", failed);
  EXPECT_TRUE(scheduler_->Trigger("h"));
  ASSERT_EQ(rec_.WaitFor(3).size(), 3u);
  const auto second_start = std::chrono::system_clock::now();
  scheduler_->Completed("h", failed);
  ASSERT_TRUE(WaitForReason("h", "backoff"));
  const auto backoff_due = scheduler_->Find("h")->next_due;
  EXPECT_GE(backoff_due, second_start + milliseconds(120000) - milliseconds(2000));
  EXPECT_EQ(scheduler_->Find("h")->consecutive_failures, 2);
}

TEST_F(SchedulerTest, CronSourcesAreDueAtTheirCronTimes) {
  config::SourceConfig s = Source("c", milliseconds(60000));
  s.fetch.cron = "0 3 * * *";
  s.fetch.timezone = "Europe/Paris";
  scheduler_->SetSources({s});
  ASSERT_EQ(rec_.WaitFor(1).size(), 1u);  // start-up still fetches promptly
  scheduler_->Completed("c");
  ASSERT_TRUE(WaitForReason("c", "cron"));
  const auto due = scheduler_->Find("c")->next_due;
  std::string why;
  const auto expected = NextCronTime(*config::CronSpec::Parse("0 3 * * *", why),
                                     LoadZone("Europe/Paris"), std::chrono::system_clock::now());
  EXPECT_LE(std::chrono::abs(due - *expected), std::chrono::seconds(5));
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
