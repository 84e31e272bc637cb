#include "service/api/change_feed.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "common/log.hpp"
#include "service/api/change_json.hpp"
#include "service/metrics/registry.hpp"

namespace tributary::service::api {

namespace asio = boost::asio;

struct ChangeFeed::Waiter {
  Waiter(int64_t s, asio::any_io_executor ex, std::function<void()> r)
      : since(s), executor(ex), ready(std::move(r)), timer(ex) {}
  // On `executor` only.
  void Fire() {
    if (fired) return;
    fired = true;
    timer.cancel();
    auto r = std::move(ready);
    r();
  }
  const int64_t since;
  asio::any_io_executor executor;
  std::function<void()> ready;
  asio::steady_timer timer;
  bool fired = false;  // on `executor` only
};

namespace {

metrics::Counter& StreamOverflows() {
  static auto& c = metrics::DefaultRegistry()
                       .CounterFamily("tributary_api_stream_overflows_total",
                                      "Change stream (SSE) clients given up on for reading too "
                                      "slowly; each is told where to resume, then closed.",
                                      {})
                       .With({});
  return c;
}

// What waits in WaitAfter now: long-poll requests, and webhooks with nothing to send.
metrics::Gauge& Waiting() {
  static auto& g = metrics::DefaultRegistry()
                       .GaugeFamily("tributary_api_change_waiters",
                                    "Long-poll requests (GET /api/v1/changes?wait=) and idle "
                                    "webhooks waiting for the next change.",
                                    {})
                       .With({});
  return g;
}

}  // namespace

ChangeSubscription::ChangeSubscription(ChangeFeed& feed, int64_t after,
                                       storage::ChangeFilter filter, size_t buffer_limit,
                                       std::chrono::milliseconds slow_after)
    : feed_(feed),
      filter_(std::move(filter)),
      buffer_limit_(std::max<size_t>(1, buffer_limit)),
      slow_after_(slow_after),
      cursor_(after),
      sent_(after) {}

EventStream::State ChangeSubscription::Pull(std::string& out, std::function<void()> wake) {
  while (true) {
    int64_t from = 0;
    {
      std::lock_guard lock(mu_);
      handed_out_.reset();  // the session took what it was given: it is pulling again
      if (closed_) return State::kEnd;
      if (overflowed_) {
        // The client fell behind by more than the buffer: tell it where to resume, and end.
        out =
            "event: overflow\ndata: {\"reason\":\"the client reads too slowly; resume with "
            "Last-Event-ID\",\"resume_after\":" +
            std::to_string(sent_) + "}\n\n";
        closed_ = true;
        return State::kEnd;
      }
      if (!buffer_.empty()) {
        for (auto& [seq, event] : buffer_) {
          out += event;
          sent_ = seq;
        }
        buffer_.clear();
        handed_out_ = std::chrono::steady_clock::now();
        return State::kData;
      }
      if (live_) {
        wake_ = std::move(wake);
        return State::kWait;
      }
      from = cursor_;
    }
    // Catching up: read the next page from the store (blocking; the handler pool's thread).
    auto page =
        feed_.store().ChangesSince(from, std::min(ChangeFeed::kPage, buffer_limit_), filter_);
    if (!page) {
      Logger("api")->warn("change stream: cannot read changes after {}: {}", from,
                          page.error().message);
      out =
          "event: error\ndata: {\"message\":\"cannot read the change history; resume with "
          "Last-Event-ID\",\"resume_after\":" +
          std::to_string(from) + "}\n\n";
      std::lock_guard lock(mu_);
      closed_ = true;
      return State::kEnd;
    }
    const bool complete = page->changes.size() < std::min(ChangeFeed::kPage, buffer_limit_);
    std::lock_guard feed_lock(feed_.mu_);
    std::lock_guard lock(mu_);
    for (const auto& c : page->changes) {
      out += ChangeEvent(c);
      sent_ = c.seq;
    }
    cursor_ = std::max(cursor_, page->scanned_to);
    // Live once nothing committed is left unread: later changes come through Push.
    if (complete && cursor_ >= feed_.distributed_) live_ = true;
    if (!out.empty()) {
      handed_out_ = std::chrono::steady_clock::now();
      return State::kData;
    }
    if (complete && !live_ && page->scanned_to <= from) {
      // The store reports nothing after `from` although the feed distributed more: a store that
      // does not report how far it scanned. Nothing matched; continue live.
      cursor_ = std::max(cursor_, feed_.distributed_);
      live_ = true;
    }
    if (live_) {
      wake_ = std::move(wake);
      return State::kWait;
    }
  }
}

void ChangeSubscription::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  wake_ = nullptr;
}

bool ChangeSubscription::SlowLocked(int64_t latest,
                                    std::chrono::steady_clock::time_point now) const {
  return handed_out_ && now - *handed_out_ >= slow_after_ &&
         latest - sent_ > static_cast<int64_t>(buffer_limit_);
}

void ChangeSubscription::Push(const std::vector<storage::Change>& changes, int64_t scanned_to) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    if (closed_ || overflowed_) return;
    const auto now = std::chrono::steady_clock::now();
    bool caught_up_again = false;
    if (!live_) {
      // Catching up from the store, which the session reads at the client's pace; only a
      // client stuck behind gets dropped.
      if (!SlowLocked(scanned_to, now)) return;
      overflowed_ = true;
      StreamOverflows().Inc();
    } else {
      for (const auto& c : changes) {
        if (c.seq <= cursor_) continue;
        cursor_ = c.seq;
        if (!MatchesFilter(filter_, c)) continue;
        buffer_.emplace_back(c.seq, ChangeEvent(c));
      }
      cursor_ = std::max(cursor_, scanned_to);
      if (buffer_.size() > buffer_limit_) {
        buffer_.clear();
        if (SlowLocked(scanned_to, now)) {
          overflowed_ = true;
          StreamOverflows().Inc();
        } else {
          // A burst, not a slow client: read the dropped changes from the store instead.
          cursor_ = sent_;
          live_ = false;
          caught_up_again = true;
        }
      }
    }
    // The wake is used once; kept when there is nothing to wake for (all filtered out).
    if (!buffer_.empty() || overflowed_ || caught_up_again) {
      wake = std::move(wake_);
      wake_ = nullptr;
    }
  }
  if (wake) wake();
}

ChangeFeed::ChangeFeed(storage::Store& store) : store_(store) {}

ChangeFeed::~ChangeFeed() {
  Shutdown();
  pool_.join();
}

void ChangeFeed::Start() {
  auto latest = store_.LatestChangeSeq();
  if (!latest) {
    Logger("api")->warn("change feed: cannot read the latest change: {}", latest.error().message);
    return;
  }
  std::lock_guard lock(mu_);
  latest_ = std::max(latest_, *latest);
  distributed_ = std::max(distributed_, *latest);
}

int64_t ChangeFeed::Latest() const {
  std::lock_guard lock(mu_);
  return latest_;
}

void ChangeFeed::Publish(int64_t latest) {
  std::vector<std::shared_ptr<Waiter>> ready;
  {
    std::lock_guard lock(mu_);
    if (shutdown_ || latest <= latest_) return;
    latest_ = latest;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if ((*it)->since < latest) {
        ready.push_back(*it);
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
    Waiting().Dec(static_cast<double>(ready.size()));
  }
  for (auto& w : ready) asio::post(w->executor, [w] { w->Fire(); });
  asio::post(pool_, [this] { Distribute(); });
}

void ChangeFeed::Distribute() {
  while (true) {
    int64_t from = 0;
    int64_t target = 0;
    {
      std::lock_guard lock(mu_);
      if (shutdown_) return;
      // Without live subscribers nothing needs reading; they catch up from the store.
      std::erase_if(subscribers_, [](const auto& w) { return w.expired(); });
      if (subscribers_.empty()) distributed_ = latest_;
      from = distributed_;
      target = latest_;
    }
    if (from >= target) return;
    auto page = store_.ChangesSince(from, kPage, {});
    if (!page) {
      Logger("api")->warn("change feed: cannot read changes after {}: {}", from,
                          page.error().message);
      return;  // the next Publish tries again
    }
    std::lock_guard lock(mu_);
    const int64_t scanned = std::max(page->scanned_to, from);
    for (const auto& weak : subscribers_) {
      if (auto s = weak.lock()) s->Push(page->changes, scanned);
    }
    distributed_ = scanned;
    if (scanned == from) return;  // a store without history: nothing more to read
  }
}

void ChangeFeed::WaitAfter(int64_t since, std::chrono::steady_clock::time_point deadline,
                           asio::any_io_executor executor, std::function<void()> ready) {
  // A strand: the timer and a Publish may fire the waiter from different threads.
  auto w = std::make_shared<Waiter>(since, asio::make_strand(executor), std::move(ready));
  bool now = false;
  {
    std::lock_guard lock(mu_);
    if (shutdown_ || latest_ > since) {
      now = true;
    } else {
      waiters_.push_back(w);
      Waiting().Inc();
    }
  }
  asio::post(executor, [this, w, deadline, now] {
    if (now) return w->Fire();
    w->timer.expires_at(deadline);
    w->timer.async_wait([this, w](boost::system::error_code ec) {
      if (ec) return;  // fired by a change or Shutdown, which took it off the list
      Forget(w);
      w->Fire();
    });
  });
}

std::shared_ptr<ChangeSubscription> ChangeFeed::Subscribe(int64_t after,
                                                          storage::ChangeFilter filter,
                                                          size_t buffer_limit,
                                                          std::chrono::milliseconds slow_after) {
  auto s = std::make_shared<ChangeSubscription>(*this, after, std::move(filter), buffer_limit,
                                                slow_after);
  std::lock_guard lock(mu_);
  if (shutdown_) {
    s->Close();
  } else {
    subscribers_.push_back(s);
  }
  return s;
}

void ChangeFeed::Forget(const std::shared_ptr<Waiter>& w) {
  // Timed out: off the list, or waiters whose wait is over would pile up while nothing changes.
  std::lock_guard lock(mu_);
  const size_t before = waiters_.size();
  waiters_.remove(w);
  Waiting().Dec(static_cast<double>(before - waiters_.size()));
}

void ChangeFeed::Shutdown() {
  std::list<std::shared_ptr<Waiter>> waiters;
  std::vector<std::weak_ptr<ChangeSubscription>> subscribers;
  {
    std::lock_guard lock(mu_);
    if (shutdown_) return;
    shutdown_ = true;
    waiters.swap(waiters_);
    Waiting().Dec(static_cast<double>(waiters.size()));
    subscribers.swap(subscribers_);
  }
  for (auto& w : waiters) asio::post(w->executor, [w] { w->Fire(); });
  for (auto& weak : subscribers) {
    if (auto s = weak.lock()) {
      std::function<void()> wake;
      {
        std::lock_guard lock(s->mu_);
        s->closed_ = true;
        wake = std::move(s->wake_);
        s->wake_ = nullptr;
      }
      if (wake) wake();
    }
  }
}

}  // namespace tributary::service::api
