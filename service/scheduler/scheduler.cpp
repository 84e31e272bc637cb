#include "service/scheduler/scheduler.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/system_timer.hpp>
#include <future>
#include <tuple>

#include "service/scheduler/cron_schedule.hpp"

namespace tributary::service::scheduler {

namespace asio = boost::asio;
using std::chrono::milliseconds;

SystemTime NextSlot(SystemTime now, milliseconds every, milliseconds offset) {
  const int64_t now_ms = ToUnixMillis(now);
  const int64_t period = std::max<int64_t>(1, every.count());
  const int64_t phase = offset.count() % period;
  int64_t k = (now_ms - phase) / period;
  int64_t slot = phase + k * period;
  while (slot <= now_ms) slot += period;
  return FromUnixMillis(slot);
}

milliseconds PhaseOffset(const std::string& id, milliseconds every) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  const uint64_t period = static_cast<uint64_t>(std::max<int64_t>(1, every.count()));
  return milliseconds(static_cast<int64_t>(h % period));
}

// What decides a source's times; a change re-plans it.
struct Scheduler::Plan {
  milliseconds every{0};
  milliseconds jitter{0};
  std::string cron;
  std::string timezone;
  bool hints = true;
  milliseconds hints_max{0};
  bool operator==(const Plan&) const = default;
};

struct Scheduler::Entry {
  explicit Entry(asio::io_context& io) : timer(io) {}
  std::string id;
  Plan plan;
  std::optional<config::CronSpec> cron;
  cctz::time_zone zone = cctz::utc_time_zone();
  asio::system_timer timer;
  SystemTime next_due;
  std::string reason;
  bool in_flight = false;
  bool trigger_pending = false;
  bool manual_run = false;  // the run in flight was triggered by hand
  // The regular time planned when the run in flight started; completions move it later only.
  SystemTime regular_due;
  std::string regular_reason;
  SystemTime last_started{};
  int failures = 0;        // consecutive failed runs
  int store_failures = 0;  // consecutive runs whose results could not be stored
};

Scheduler::Scheduler(asio::io_context& io, DueCallback due, milliseconds startup_spread,
                     milliseconds store_retry)
    : io_(io), due_(std::move(due)), startup_spread_(startup_spread), store_retry_(store_retry) {}

Scheduler::~Scheduler() = default;

void Scheduler::SetSources(const std::vector<config::SourceConfig>& sources,
                           const config::FetchPolicy& policy) {
  std::vector<std::pair<std::string, Plan>> plans;
  for (const auto& s : sources) {
    Plan p;
    p.every = s.every;
    p.jitter = s.fetch.jitter;
    p.cron = s.fetch.cron;
    p.timezone = s.fetch.timezone;
    p.hints = s.fetch.hints.value_or(policy.hints);
    p.hints_max = s.fetch.hints_max.value_or(policy.hints_max);
    plans.emplace_back(s.id, std::move(p));
  }
  asio::post(io_, [this, plans = std::move(plans)] {
    if (stopped_) return;
    std::map<std::string, std::shared_ptr<Entry>> next;
    const auto now = std::chrono::system_clock::now();
    for (const auto& [id, plan] : plans) {
      auto it = entries_.find(id);
      std::shared_ptr<Entry> e;
      const bool known = it != entries_.end();
      if (known) {
        e = it->second;
      } else {
        e = std::make_shared<Entry>(io_);
        e->id = id;
      }
      next[id] = e;
      if (known && e->plan == plan) continue;
      e->plan = plan;
      e->cron.reset();
      if (!plan.cron.empty()) {
        std::string why;
        e->cron = config::CronSpec::Parse(plan.cron, why);
        e->zone = LoadZone(plan.timezone);
      }
      if (!known) {
        const auto spread = std::max<int64_t>(1, startup_spread_.count());
        Arm(e, now + PhaseOffset(id, milliseconds(spread)), "startup");
      } else if (!e->in_flight) {
        auto [when, why] = Regular(*e, now, /*after_off_grid_run=*/false);
        Arm(e, when, why);
      }
    }
    for (auto& [id, e] : entries_) {
      if (!next.count(id)) e->timer.cancel();
    }
    entries_ = std::move(next);
    PublishAll();
  });
}

std::pair<SystemTime, std::string> Scheduler::Regular(Entry& e, SystemTime now,
                                                      bool after_off_grid_run) {
  if (e.cron) {
    if (auto t = NextCronTime(*e.cron, e.zone, now)) {
      SystemTime when = *t;
      if (e.plan.jitter.count() > 0) {
        std::uniform_int_distribution<int64_t> j(0, e.plan.jitter.count());
        when += milliseconds(j(rng_));
      }
      return {when, "cron"};
    }
    return {now + std::chrono::hours(24 * 365), "cron"};
  }
  // A run off the grid (at startup, by hand, after a backoff) may have begun moments before a
  // slot: that slot is skipped, or the origin would get the same request twice in a row.
  const auto from = after_off_grid_run ? now + e.plan.every / 2 : now;
  SystemTime when = NextSlot(from, e.plan.every, PhaseOffset(e.id, e.plan.every));
  if (e.plan.jitter.count() > 0) {
    std::uniform_int_distribution<int64_t> j(0, e.plan.jitter.count());
    when += milliseconds(j(rng_));
  }
  return {when, "interval"};
}

void Scheduler::Arm(const std::shared_ptr<Entry>& e, SystemTime when, std::string reason) {
  e->next_due = when;
  e->reason = std::move(reason);
  e->timer.expires_at(when);
  e->timer.async_wait([this, e](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    Fire(e);
  });
}

void Scheduler::Fire(const std::shared_ptr<Entry>& e) {
  if (entries_.count(e->id) == 0 || entries_.at(e->id) != e) return;  // removed meanwhile
  const auto now = std::chrono::system_clock::now();
  // Plan the next regular slot first, so a slow fetch never shifts the grid.
  auto [when, why] = Regular(*e, now, /*after_off_grid_run=*/e->reason != "interval");
  Arm(e, when, why);
  if (!e->in_flight) {
    e->in_flight = true;
    e->manual_run = false;
    e->regular_due = when;
    e->regular_reason = why;
    e->last_started = now;
    due_(e->id);
  }
  Publish(*e);
}

bool Scheduler::Trigger(const std::string& id) {
  std::promise<bool> known;
  auto result = known.get_future();
  asio::post(io_, [this, id, &known] {
    auto it = entries_.find(id);
    if (stopped_ || it == entries_.end()) {
      known.set_value(false);
      return;
    }
    auto e = it->second;
    if (e->in_flight) {
      e->trigger_pending = true;
    } else {
      e->in_flight = true;
      e->manual_run = true;
      e->last_started = std::chrono::system_clock::now();
      e->reason = "manual";
      due_(id);
    }
    Publish(*e);
    known.set_value(true);
  });
  return result.get();
}

void Scheduler::Completed(const std::string& id, const Completion& c) {
  asio::post(io_, [this, id, c] {
    auto it = entries_.find(id);
    if (stopped_ || it == entries_.end()) return;
    auto e = it->second;
    e->in_flight = false;
    e->failures = c.failed ? e->failures + 1 : 0;
    if (e->trigger_pending) {
      e->trigger_pending = false;
      e->in_flight = true;
      e->manual_run = true;
      e->last_started = std::chrono::system_clock::now();
      due_(id);
      Publish(*e);
      return;
    }
    // Never earlier than the regular slot (planned at Fire, or now for a manual run); later
    // when a rule says so.
    SystemTime when = e->regular_due;
    std::string why = e->regular_reason;
    if (e->manual_run || why.empty()) {
      std::tie(when, why) = Regular(*e, std::chrono::system_clock::now(), e->manual_run);
    }
    const auto later = [&](SystemTime t, const char* reason) {
      if (t > when) {
        when = t;
        why = reason;
      }
    };
    const auto now = std::chrono::system_clock::now();
    e->store_failures = c.store_failed ? e->store_failures + 1 : 0;
    if (c.store_failed) {
      milliseconds delay = store_retry_;
      for (int i = 1; i < e->store_failures && delay < e->plan.every; ++i) delay *= 2;
      if (now + delay < when) {
        when = now + delay;
        why = "store retry";
      }
    }
    if (e->failures >= 2 && !e->cron) {
      // Doubling from the interval after the second failed run in a row, capped.
      const milliseconds cap = std::max(e->plan.every, e->plan.hints_max);
      milliseconds backoff = e->plan.every;
      for (int i = 1; i < e->failures && backoff < cap; ++i) backoff *= 2;
      later(e->last_started + std::min(backoff, cap), "backoff");
    }
    if (c.retry_after) later(*c.retry_after, "retry-after");
    if (c.circuit_open_until) later(*c.circuit_open_until, "circuit open");
    if (!c.failed && !c.store_failed && c.hint && e->plan.hints && !e->cron) {
      const milliseconds bound = std::max(e->plan.every, e->plan.hints_max);
      later(e->last_started + std::min(*c.hint, bound), "server hint");
    }
    if (c.robots_disallowed && why != "retry-after" && why != "circuit open") why = "robots";
    if (when < now) when = now;
    if (when != e->next_due || why != e->reason) Arm(e, when, why);
    Publish(*e);
  });
}

void Scheduler::Stop() {
  std::promise<void> done;
  auto f = done.get_future();
  asio::post(io_, [this, &done] {
    stopped_ = true;
    for (auto& [id, e] : entries_) e->timer.cancel();
    entries_.clear();
    PublishAll();
    done.set_value();
  });
  f.wait();
}

SourceSchedule Scheduler::ScheduleOf(const Entry& e) {
  return SourceSchedule{e.id, e.next_due, e.reason, e.in_flight, e.failures};
}

void Scheduler::PublishAll() {
  std::map<std::string, SourceSchedule> out;
  for (const auto& [id, e] : entries_) out.emplace(id, ScheduleOf(*e));
  std::lock_guard lock(mu_);
  published_ = std::move(out);
}

void Scheduler::Publish(const Entry& e) {
  std::lock_guard lock(mu_);
  auto it = published_.find(e.id);
  if (it == published_.end()) return;  // removed: PublishAll said so already
  it->second = ScheduleOf(e);
}

std::vector<SourceSchedule> Scheduler::Snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<SourceSchedule> out;
  for (const auto& [id, s] : published_) out.push_back(s);
  return out;
}

std::optional<SourceSchedule> Scheduler::Find(const std::string& id) const {
  std::lock_guard lock(mu_);
  const auto it = published_.find(id);
  if (it == published_.end()) return std::nullopt;
  return it->second;
}

}  // namespace tributary::service::scheduler
