#include "fetchers/politeness_group.hpp"

#include <algorithm>
#include <cmath>

namespace tributary::fetchers {
namespace {

SystemTime ToWall(PolitenessGroup::TimePoint t, PolitenessGroup::TimePoint now,
                  SystemTime wall_now) {
  return wall_now + std::chrono::duration_cast<SystemTime::duration>(t - now);
}

}  // namespace

PolitenessGroup::PolitenessGroup(std::string key, const GroupPolicy& group,
                                 const RetryPolicy& retry, TimePoint now)
    : key_(std::move(key)), refilled_at_(now) {
  tokens_ = std::max(1.0, group.burst);  // a new group starts with a full bucket
  budget_ = std::max(1.0, retry.budget_reserve);
  SetPolicy(group, retry);
}

void PolitenessGroup::SetPolicy(const GroupPolicy& group, const RetryPolicy& retry) {
  policy_ = group;
  policy_.concurrency = std::max(1, policy_.concurrency);
  policy_.burst = std::max(1.0, policy_.burst);
  retry_ = retry;
  tokens_ = std::min(tokens_, policy_.burst);
  budget_ = std::min(budget_, std::max(1.0, retry_.budget_reserve));
}

void PolitenessGroup::Refill(TimePoint now) {
  if (policy_.rate <= 0) {
    tokens_ = policy_.burst;
    refilled_at_ = now;
    return;
  }
  if (now > refilled_at_) {
    const double seconds = std::chrono::duration<double>(now - refilled_at_).count();
    tokens_ = std::min(policy_.burst, tokens_ + seconds * policy_.rate);
    refilled_at_ = now;
  }
}

PolitenessGroup::Decision PolitenessGroup::CanStart(TimePoint now) {
  if (open_) {
    if (now < open_until_) return {Gate::kCircuitOpen, open_until_};
    // Half-open: one probe at a time decides.
    if (probe_in_flight_) return {Gate::kWait, std::nullopt};
  }
  if (in_flight_ >= static_cast<size_t>(policy_.concurrency)) return {Gate::kWait, std::nullopt};
  // With a spacing, the next request waits until the previous one went out (OnSent or
  // OnFinish wakes the shard): only then is the time its spacing counts from known.
  if (unsent_ > 0 && policy_.spacing.count() > 0) return {Gate::kWait, std::nullopt};
  TimePoint earliest = now;
  if (paused_until_ > earliest) earliest = paused_until_;
  if (last_start_ && *last_start_ + policy_.spacing > earliest) {
    earliest = *last_start_ + policy_.spacing;
  }
  Refill(now);
  if (policy_.rate > 0 && tokens_ < 1.0) {
    const auto missing = std::chrono::duration<double>((1.0 - tokens_) / policy_.rate);
    // Rounded up so that the token is there when the timer fires.
    const TimePoint full = now + std::chrono::ceil<Clock::duration>(missing);
    if (full > earliest) earliest = full;
  }
  if (earliest > now) return {Gate::kWait, earliest};
  return {Gate::kStart, std::nullopt};
}

bool PolitenessGroup::OnStart(TimePoint now) {
  Refill(now);
  if (policy_.rate > 0) tokens_ = std::max(0.0, tokens_ - 1.0);
  last_start_ = now;
  ++in_flight_;
  ++unsent_;
  ++requests_;
  if (open_ && now >= open_until_) {
    probe_in_flight_ = true;
    return true;
  }
  return false;
}

void PolitenessGroup::OnSent(TimePoint now, bool first) {
  if (first && unsent_ > 0) --unsent_;
  if (!last_start_ || *last_start_ < now) last_start_ = now;
}

void PolitenessGroup::OnFinish(TimePoint now, Outcome outcome, bool reported_sent) {
  if (in_flight_ > 0) --in_flight_;
  if (!reported_sent && unsent_ > 0) --unsent_;
  const bool probe = probe_in_flight_ && open_;
  if (outcome == Outcome::kFailure) {
    ++consecutive_failures_;
    if (probe || (!open_ && consecutive_failures_ >= std::max(1, retry_.circuit_failures))) {
      open_ = true;
      open_until_ = now + retry_.circuit_cooldown;
    }
  } else {
    if (outcome == Outcome::kSuccess) consecutive_failures_ = 0;
    if (probe) {
      open_ = false;
      consecutive_failures_ = 0;
    }
  }
  if (probe) probe_in_flight_ = false;
}

void PolitenessGroup::PauseUntil(TimePoint until) {
  paused_until_ = std::max(paused_until_, until);
}

void PolitenessGroup::EarnRetryBudget() {
  budget_ = std::min(std::max(1.0, retry_.budget_reserve), budget_ + retry_.budget_ratio);
}

bool PolitenessGroup::SpendRetryBudget() {
  if (budget_ < 1.0) {
    ++retries_denied_;
    return false;
  }
  budget_ -= 1.0;
  ++retries_;
  return true;
}

CircuitState PolitenessGroup::circuit() const {
  if (!open_) return CircuitState::kClosed;
  return probe_in_flight_ ? CircuitState::kHalfOpen : CircuitState::kOpen;
}

std::optional<PolitenessGroup::TimePoint> PolitenessGroup::paused_until(TimePoint now) const {
  if (paused_until_ > now) return paused_until_;
  return std::nullopt;
}

GroupState PolitenessGroup::State(TimePoint now, SystemTime wall_now, size_t queued) const {
  GroupState s;
  s.key = key_;
  s.concurrency = policy_.concurrency;
  s.spacing = policy_.spacing;
  s.rate = policy_.rate;
  s.burst = policy_.burst;
  s.in_flight = in_flight_;
  s.queued = queued;
  s.consecutive_failures = consecutive_failures_;
  if (open_) {
    s.circuit = now < open_until_ ? "open" : "half_open";
    s.circuit_open_until = ToWall(open_until_, now, wall_now);
  }
  if (paused_until_ > now) s.paused_until = ToWall(paused_until_, now, wall_now);
  s.retry_budget = budget_;
  s.requests = requests_;
  s.retries = retries_;
  s.retries_denied = retries_denied_;
  if (last_start_) s.last_start = ToWall(*last_start_, now, wall_now);
  return s;
}

}  // namespace tributary::fetchers
