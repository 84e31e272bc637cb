// The politeness rules on a fake clock: concurrency, spacing, token bucket, Retry-After pauses,
// the circuit breaker and the retry budget. Each test fails if its rule is broken.
#include "fetchers/politeness_group.hpp"

#include <gtest/gtest.h>

namespace tributary::fetchers {
namespace {

using std::chrono::milliseconds;
using Gate = PolitenessGroup::Gate;
using Outcome = PolitenessGroup::Outcome;

class GroupTest : public ::testing::Test {
 protected:
  PolitenessGroup Make(GroupPolicy g, RetryPolicy r = {}) {
    return PolitenessGroup("group:test", g, r, now_);
  }
  void Advance(milliseconds d) { now_ += d; }
  PolitenessGroup::TimePoint now_ = PolitenessGroup::Clock::now();
};

TEST_F(GroupTest, ConcurrencyLimitsRequestsInFlight) {
  GroupPolicy g;
  g.concurrency = 2;
  auto group = Make(g);
  ASSERT_EQ(group.CanStart(now_).gate, Gate::kStart);
  group.OnStart(now_);
  ASSERT_EQ(group.CanStart(now_).gate, Gate::kStart);
  group.OnStart(now_);
  const auto full = group.CanStart(now_);
  EXPECT_EQ(full.gate, Gate::kWait);
  EXPECT_FALSE(full.wake);  // only a finishing request frees a slot
  group.OnFinish(now_, Outcome::kSuccess);
  EXPECT_EQ(group.CanStart(now_).gate, Gate::kStart);
}

TEST_F(GroupTest, SpacingSeparatesRequestStarts) {
  GroupPolicy g;
  g.spacing = milliseconds(300);
  auto group = Make(g);
  group.OnStart(now_);
  group.OnFinish(now_, Outcome::kSuccess);
  const auto d = group.CanStart(now_ + milliseconds(100));
  ASSERT_EQ(d.gate, Gate::kWait);
  EXPECT_EQ(*d.wake, now_ + milliseconds(300));
  EXPECT_EQ(group.CanStart(now_ + milliseconds(300)).gate, Gate::kStart);
}

TEST_F(GroupTest, SpacingCountsFromWhenTheRequestWentOut) {
  // A connection that takes 70 ms: the next request is spaced from the moment the first one was
  // sent, so the server sees them at least the spacing apart.
  GroupPolicy g;
  g.spacing = milliseconds(250);
  g.concurrency = 4;
  auto group = Make(g);
  group.OnStart(now_);
  // Not sent yet: nothing else starts (no timer either: sending or finishing wakes the shard).
  const auto connecting = group.CanStart(now_ + milliseconds(300));
  EXPECT_EQ(connecting.gate, Gate::kWait);
  EXPECT_FALSE(connecting.wake);
  group.OnSent(now_ + milliseconds(70), true);
  const auto spaced = group.CanStart(now_ + milliseconds(250));
  ASSERT_EQ(spaced.gate, Gate::kWait);
  EXPECT_EQ(*spaced.wake, now_ + milliseconds(320));
  EXPECT_EQ(group.CanStart(now_ + milliseconds(320)).gate, Gate::kStart);
  // A redirect's later request moves the mark too.
  group.OnSent(now_ + milliseconds(400), false);
  EXPECT_EQ(*group.CanStart(now_ + milliseconds(450)).wake, now_ + milliseconds(650));
  group.OnFinish(now_ + milliseconds(500), Outcome::kSuccess, true);
  // An attempt whose connection failed sent nothing: finishing it frees the gate.
  group.OnStart(now_ + milliseconds(700));
  EXPECT_FALSE(group.CanStart(now_ + milliseconds(1000)).wake);
  group.OnFinish(now_ + milliseconds(800), Outcome::kFailure, false);
  EXPECT_EQ(group.CanStart(now_ + milliseconds(950)).gate, Gate::kStart);
}

TEST_F(GroupTest, WithoutSpacingConnectingRequestsDoNotHoldOthersBack) {
  GroupPolicy g;
  g.concurrency = 3;
  auto group = Make(g);
  group.OnStart(now_);
  EXPECT_EQ(group.CanStart(now_).gate, Gate::kStart);
}

TEST_F(GroupTest, TokenBucketAllowsABurstThenTheRate) {
  GroupPolicy g;
  g.rate = 5;  // one token every 200 ms
  g.burst = 2;
  auto group = Make(g);
  group.OnStart(now_);
  group.OnFinish(now_, Outcome::kSuccess);
  ASSERT_EQ(group.CanStart(now_).gate, Gate::kStart);
  group.OnStart(now_);
  group.OnFinish(now_, Outcome::kSuccess);
  const auto d = group.CanStart(now_);
  ASSERT_EQ(d.gate, Gate::kWait);
  const double wait_ms = std::chrono::duration<double, std::milli>(*d.wake - now_).count();
  EXPECT_NEAR(wait_ms, 200, 1);
  Advance(milliseconds(200));
  EXPECT_EQ(group.CanStart(now_).gate, Gate::kStart);
  group.OnStart(now_);
  EXPECT_EQ(group.CanStart(now_).gate, Gate::kWait);
  // Tokens never exceed the burst, however long the group idles.
  Advance(std::chrono::hours(1));
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(group.CanStart(now_).gate, Gate::kStart) << i;
    group.OnStart(now_);
  }
  EXPECT_EQ(group.CanStart(now_).gate, Gate::kWait);
}

TEST_F(GroupTest, RetryAfterPausesTheGroupAndALaterPauseWins) {
  auto group = Make({});
  group.PauseUntil(now_ + milliseconds(2000));
  group.PauseUntil(now_ + milliseconds(500));  // an earlier pause does not shorten it
  const auto d = group.CanStart(now_);
  ASSERT_EQ(d.gate, Gate::kWait);
  EXPECT_EQ(*d.wake, now_ + milliseconds(2000));
  EXPECT_EQ(group.CanStart(now_ + milliseconds(2000)).gate, Gate::kStart);
}

TEST_F(GroupTest, CircuitOpensAfterConsecutiveFailuresThenOneProbeDecides) {
  RetryPolicy r;
  r.circuit_failures = 3;
  r.circuit_cooldown = milliseconds(1000);
  GroupPolicy g;
  g.concurrency = 10;
  auto group = Make(g, r);
  for (int i = 0; i < 2; ++i) {
    group.OnStart(now_);
    group.OnFinish(now_, Outcome::kFailure);
  }
  group.OnStart(now_);
  group.OnFinish(now_, Outcome::kSuccess);  // a success resets the count
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(group.CanStart(now_).gate, Gate::kStart) << i;
    group.OnStart(now_);
    group.OnFinish(now_, Outcome::kFailure);
  }
  auto d = group.CanStart(now_);
  EXPECT_EQ(d.gate, Gate::kCircuitOpen);
  EXPECT_EQ(*d.wake, now_ + milliseconds(1000));
  EXPECT_TRUE(group.CircuitOpen(now_));

  // Half-open: exactly one probe.
  Advance(milliseconds(1000));
  ASSERT_EQ(group.CanStart(now_).gate, Gate::kStart);
  EXPECT_TRUE(group.OnStart(now_));
  EXPECT_EQ(group.CanStart(now_).gate, Gate::kWait);
  // The probe fails: open again for another cooldown.
  group.OnFinish(now_, Outcome::kFailure);
  EXPECT_EQ(group.CanStart(now_).gate, Gate::kCircuitOpen);
  Advance(milliseconds(1000));
  EXPECT_TRUE(group.OnStart(now_));
  group.OnFinish(now_, Outcome::kSuccess);  // the probe succeeds: closed
  EXPECT_FALSE(group.CircuitOpen(now_));
  EXPECT_EQ(group.CanStart(now_).gate, Gate::kStart);
  EXPECT_FALSE(group.OnStart(now_));
  EXPECT_EQ(group.CanStart(now_).gate, Gate::kStart);
}

TEST_F(GroupTest, TooManyRequestsDoesNotOpenTheCircuit) {
  RetryPolicy r;
  r.circuit_failures = 2;
  auto group = Make({}, r);
  for (int i = 0; i < 5; ++i) {
    group.OnStart(now_);
    group.OnFinish(now_, Outcome::kNeutral);
  }
  EXPECT_FALSE(group.CircuitOpen(now_));
}

TEST_F(GroupTest, RetryBudgetLimitsRetriesToTheEarnedShare) {
  RetryPolicy r;
  r.budget_ratio = 0.5;
  r.budget_reserve = 2;
  auto group = Make({}, r);
  // The reserve first.
  EXPECT_TRUE(group.SpendRetryBudget());
  EXPECT_TRUE(group.SpendRetryBudget());
  EXPECT_FALSE(group.SpendRetryBudget());
  // Two first attempts earn one retry.
  group.EarnRetryBudget();
  EXPECT_FALSE(group.SpendRetryBudget());
  group.EarnRetryBudget();
  EXPECT_TRUE(group.SpendRetryBudget());
  EXPECT_FALSE(group.SpendRetryBudget());
  // Earnings are capped at the reserve.
  for (int i = 0; i < 100; ++i) group.EarnRetryBudget();
  EXPECT_TRUE(group.SpendRetryBudget());
  EXPECT_TRUE(group.SpendRetryBudget());
  EXPECT_FALSE(group.SpendRetryBudget());
  const auto state = group.State(now_, std::chrono::system_clock::now(), 0);
  EXPECT_EQ(state.retries, 5u);
  EXPECT_EQ(state.retries_denied, 4u);
}

TEST_F(GroupTest, StateReportsTheRulesAndTheirProgress) {
  GroupPolicy g;
  g.concurrency = 3;
  g.spacing = milliseconds(250);
  auto group = Make(g);
  group.OnStart(now_);
  group.PauseUntil(now_ + milliseconds(5000));
  const auto wall = std::chrono::system_clock::now();
  const auto s = group.State(now_, wall, 7);
  EXPECT_EQ(s.key, "group:test");
  EXPECT_EQ(s.concurrency, 3);
  EXPECT_EQ(s.spacing, milliseconds(250));
  EXPECT_EQ(s.in_flight, 1u);
  EXPECT_EQ(s.queued, 7u);
  EXPECT_EQ(s.requests, 1u);
  EXPECT_EQ(s.circuit, "closed");
  ASSERT_TRUE(s.paused_until);
  EXPECT_EQ(*s.paused_until, wall + milliseconds(5000));
}

}  // namespace
}  // namespace tributary::fetchers
