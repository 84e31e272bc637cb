#include "service/scheduler/scheduler.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/system_timer.hpp>
#include <future>

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

struct Scheduler::Entry {
  explicit Entry(asio::io_context& io) : timer(io) {}
  std::string id;
  milliseconds every{0};
  asio::system_timer timer;
  SystemTime next_due;
  std::string reason;
  bool in_flight = false;
  bool trigger_pending = false;
};

Scheduler::Scheduler(asio::io_context& io, DueCallback due, milliseconds startup_spread)
    : io_(io), due_(std::move(due)), startup_spread_(startup_spread) {}

Scheduler::~Scheduler() = default;

void Scheduler::SetSources(const std::vector<config::SourceConfig>& sources) {
  std::vector<std::pair<std::string, milliseconds>> plan;
  for (const auto& s : sources) plan.emplace_back(s.id, s.every);
  asio::post(io_, [this, plan = std::move(plan)] {
    if (stopped_) return;
    std::map<std::string, std::shared_ptr<Entry>> next;
    const auto now = std::chrono::system_clock::now();
    for (const auto& [id, every] : plan) {
      auto it = entries_.find(id);
      if (it != entries_.end()) {
        auto e = it->second;
        next[id] = e;
        if (e->every != every) {
          e->every = every;
          if (!e->in_flight) Arm(e, NextSlot(now, every, PhaseOffset(id, every)), "interval");
        }
        continue;
      }
      auto e = std::make_shared<Entry>(io_);
      e->id = id;
      e->every = every;
      next[id] = e;
      const auto spread = std::max<int64_t>(1, startup_spread_.count());
      Arm(e, now + PhaseOffset(id, milliseconds(spread)), "startup");
    }
    for (auto& [id, e] : entries_) {
      if (!next.count(id)) e->timer.cancel();
    }
    entries_ = std::move(next);
    Publish();
  });
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
  Arm(e, NextSlot(now, e->every, PhaseOffset(e->id, e->every)), "interval");
  if (!e->in_flight) {
    e->in_flight = true;
    due_(e->id);
  }
  Publish();
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
      due_(id);
    }
    Publish();
    known.set_value(true);
  });
  return result.get();
}

void Scheduler::Completed(const std::string& id) {
  asio::post(io_, [this, id] {
    auto it = entries_.find(id);
    if (stopped_ || it == entries_.end()) return;
    auto e = it->second;
    e->in_flight = false;
    if (e->trigger_pending) {
      e->trigger_pending = false;
      e->in_flight = true;
      due_(id);
    }
    Publish();
  });
}

void Scheduler::Stop() {
  std::promise<void> done;
  auto f = done.get_future();
  asio::post(io_, [this, &done] {
    stopped_ = true;
    for (auto& [id, e] : entries_) e->timer.cancel();
    entries_.clear();
    Publish();
    done.set_value();
  });
  f.wait();
}

void Scheduler::Publish() {
  std::vector<SourceSchedule> out;
  for (const auto& [id, e] : entries_) {
    out.push_back(SourceSchedule{id, e->next_due, e->reason, e->in_flight});
  }
  std::lock_guard lock(mu_);
  published_ = std::move(out);
}

std::vector<SourceSchedule> Scheduler::Snapshot() const {
  std::lock_guard lock(mu_);
  return published_;
}

}  // namespace tributary::service::scheduler
