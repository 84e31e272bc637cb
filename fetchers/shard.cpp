#include "fetchers/shard.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include "common/log.hpp"
#include "fetchers/retry_timing.hpp"
#include "fetchers/url_host.hpp"

namespace tributary::fetchers {

namespace asio = boost::asio;
using Clock = PolitenessGroup::Clock;

namespace {

const std::string* FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

PolitenessGroup::Outcome OutcomeOf(const FetchResult& r) {
  if (!r.error) return PolitenessGroup::Outcome::kSuccess;
  if (r.status == 429) return PolitenessGroup::Outcome::kNeutral;
  if (r.error->error_class == ErrorClass::kRetryable) return PolitenessGroup::Outcome::kFailure;
  // The server answered (404, too large ...) or the request never left (bad URL): not a sign
  // of an unhealthy host.
  return r.status != 0 ? PolitenessGroup::Outcome::kSuccess : PolitenessGroup::Outcome::kNeutral;
}

SystemTime WallOf(Clock::time_point t) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<SystemTime::duration>(t - Clock::now());
}

}  // namespace

Fetcher::Shard::Shard(int index, FetchObserver* observer)
    : index_(index), observer_(observer), log_(Logger("fetch")), rng_(std::random_device{}()) {
  work_.emplace(io_.get_executor());
  multi_ = curl_multi_init();
  if (multi_ == nullptr) throw std::runtime_error("curl_multi_init failed");
  if (curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &Shard::OnSocketCallback) != CURLM_OK ||
      curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this) != CURLM_OK ||
      curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &Shard::OnTimerCallback) != CURLM_OK ||
      curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this) != CURLM_OK) {
    curl_multi_cleanup(multi_);
    throw std::runtime_error("libcurl refused the multi socket callbacks");
  }
  // Idle keep-alive connections kept for reuse across many hosts.
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, 256L);
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) {
    curl_multi_cleanup(multi_);
    throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
  }
  boost::system::error_code ec;
  socket_events_.assign(epoll_fd, ec);
  if (ec) {
    close(epoll_fd);
    curl_multi_cleanup(multi_);
    throw std::runtime_error("watching the socket set: " + ec.message());
  }
  WaitForSocketEvents();
  thread_ = std::thread([this] { Run(); });
}

Fetcher::Shard::~Shard() { Stop(); }

void Fetcher::Shard::Run() {
  for (;;) {
    try {
      io_.run();
      return;
    } catch (const std::exception& e) {
      log_->error("shard={} I/O loop: {}", index_, e.what());
    } catch (...) {
      log_->error("shard={} I/O loop: non-standard exception", index_);
    }
  }
}

namespace {

FetchResult NotSentResult(const FetchRequest& request, Error error) {
  FetchResult r;
  r.source_id = request.source_id;
  r.url = request.url;
  r.final_url = request.url;
  r.started = std::chrono::system_clock::now();
  r.error = std::move(error);
  r.not_sent = true;
  return r;
}

void RunCallback(const Fetcher::Callback& done, FetchResult result) {
  if (!done) return;
  const std::string source = result.source_id;
  try {
    done(std::move(result));
  } catch (const std::exception& e) {
    Logger("fetch")->error("source={} completion callback threw: {}", source, e.what());
  } catch (...) {
    Logger("fetch")->error("source={} completion callback threw a non-standard exception", source);
  }
}

}  // namespace

void Fetcher::Shard::Submit(FetchRequest&& request, Callback&& done, std::string&& key,
                            RobotsVerdict robots) {
  auto job = std::make_unique<Job>();
  job->request = std::move(request);
  job->done = std::move(done);
  job->key = std::move(key);
  job->robots = robots;
  {
    std::lock_guard lock(mu_);
    if (!stopped_) {
      // One posted handler takes every job submitted until it runs: a burst of submissions
      // (every source due at start-up) wakes the loop once, not once a fetch.
      incoming_.push_back(std::move(job));
      if (incoming_.size() == 1) {
        try {
          asio::post(io_, [this] { TakeIncoming(); });
        } catch (...) {
          incoming_.pop_back();  // else no later submission would post the handler again
          throw;
        }
      }
      in_flight_.fetch_add(1, std::memory_order_acq_rel);
      return;
    }
  }
  FetchResult result = NotSentResult(job->request, Error::Retryable("cancelled"));
  result.group = job->key;
  result.robots = job->robots;
  RunCallback(job->done, std::move(result));
}

void Fetcher::Shard::CompleteLater(FetchResult result, Callback done) {
  {
    std::lock_guard lock(mu_);
    if (!stopped_) {
      in_flight_.fetch_add(1, std::memory_order_acq_rel);
      asio::post(io_, [this, r = std::move(result), d = std::move(done)]() mutable {
        in_flight_.fetch_sub(1, std::memory_order_acq_rel);
        RunCallback(d, std::move(r));
      });
      return;
    }
  }
  RunCallback(done, std::move(result));
}

void Fetcher::Shard::RequestStop() {
  std::lock_guard lock(mu_);
  if (stopped_) return;
  stopped_ = true;
  // Posted last: every job submitted before it is taken first (TakeIncoming then cancels it).
  asio::post(io_, [this] { DoShutdown(); });
}

void Fetcher::Shard::Join() {
  std::lock_guard lock(join_mu_);
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void Fetcher::Shard::Stop() {
  RequestStop();
  Join();
}

std::optional<GroupState> Fetcher::Shard::StateOf(const std::string& key) const {
  std::lock_guard lock(states_mu_);
  const auto it = states_.find(key);
  if (it == states_.end()) return std::nullopt;
  return it->second;
}

Fetcher::Shard::Group& Fetcher::Shard::GroupFor(const std::string& key, const FetchRequest& like) {
  auto& slot = groups_[key];
  if (!slot) {
    slot = std::make_unique<Group>(io_, key, like, Clock::now());
    // Every group in use shows up in the metrics, closed until it fails.
    if (observer_ != nullptr) observer_->OnCircuitState(key, slot->reported);
  } else {
    slot->rules.SetPolicy(like.group, like.retry);
  }
  return *slot;
}

void Fetcher::Shard::TakeIncoming() {
  std::vector<std::unique_ptr<Job>> jobs;
  {
    std::lock_guard lock(mu_);
    jobs.swap(incoming_);
  }
  // Every job queued first, then each group it joined pumped once.
  std::vector<Group*> touched;
  size_t taken = 0;
  try {
    for (; taken < jobs.size(); ++taken) {
      std::unique_ptr<Job>& job = jobs[taken];
      if (multi_ == nullptr || shutting_down_) {
        FetchResult result = NotSentResult(job->request, Error::Retryable("cancelled"));
        Complete(std::move(job), std::move(result));
        continue;
      }
      job->id = (static_cast<uint64_t>(index_) << 48) | next_job_id_++;
      Group& group = GroupFor(job->key, job->request);
      if (!group.taking) {
        // Room first, so that a group is never marked without being on the list.
        if (touched.size() == touched.capacity()) touched.reserve(2 * touched.size() + 8);
        group.taking = true;
        touched.push_back(&group);
      }
      group.ready.push_back(std::move(job));
    }
  } catch (const std::exception& e) {
    // Out of memory: the jobs not queued end now, with the reason; the queued ones go on.
    log_->error("shard={} queueing fetches: {}", index_, e.what());
    for (; taken < jobs.size(); ++taken) {
      if (!jobs[taken]) continue;
      FetchResult result = NotSentResult(jobs[taken]->request, Error::Retryable(e.what()));
      Complete(std::move(jobs[taken]), std::move(result));
    }
  }
  for (Group* group : touched) group->taking = false;
  for (Group* group : touched) {
    try {
      Pump(*group);
    } catch (const std::exception& e) {
      // The group's next completion or timer pumps it again.
      log_->error("shard={} group={} starting fetches: {}", index_, group->rules.key(), e.what());
    }
  }
}

void Fetcher::Shard::Pump(Group& group) {
  if (shutting_down_) return;
  const TimePoint now = Clock::now();
  // Retries whose wait is over go first: they were queued before anything still waiting.
  if (!group.delayed.empty() && group.delayed.begin()->first <= now) {
    std::deque<std::unique_ptr<Job>> matured;
    while (!group.delayed.empty() && group.delayed.begin()->first <= now) {
      matured.push_back(std::move(group.delayed.begin()->second));
      group.delayed.erase(group.delayed.begin());
    }
    for (auto it = matured.rbegin(); it != matured.rend(); ++it) {
      group.ready.push_front(std::move(*it));
    }
  }
  std::optional<TimePoint> wake;
  while (!group.ready.empty()) {
    const auto decision = group.rules.CanStart(now);
    if (decision.gate == PolitenessGroup::Gate::kCircuitOpen) {
      FailQueued(group, "circuit open for group " + group.rules.key() + " after " +
                            "consecutive failures; next probe at " +
                            FormatRfc3339(WallOf(group.rules.circuit_open_until())));
      break;
    }
    if (decision.gate == PolitenessGroup::Gate::kWait) {
      wake = decision.wake;
      break;
    }
    std::unique_ptr<Job> job = std::move(group.ready.front());
    group.ready.pop_front();
    StartAttempt(group, std::move(job), now);
  }
  if (!group.delayed.empty() && (!wake || group.delayed.begin()->first < *wake)) {
    wake = group.delayed.begin()->first;
  }
  if (wake) ArmGroupTimer(group, *wake);
  Publish(group);
}

void Fetcher::Shard::ArmGroupTimer(Group& group, TimePoint when) {
  Group* const g = &group;  // groups live as long as the shard's thread runs
  group.timer.FireBy(when, [this, g] { Pump(*g); });
}

void Fetcher::Shard::StartAttempt(Group& group, std::unique_ptr<Job> job, TimePoint now) {
  group.rules.OnStart(now);
  ReportCircuit(group);
  if (job->attempts == 0) group.rules.EarnRetryBudget();
  ++job->attempts;
  auto transfer = std::make_unique<Transfer>(job->request);  // the job outlives it
  Group* const g = &group;  // groups live as long as the shard's thread runs
  // Called from inside libcurl: bookkeeping only; the pump that may start the next request of
  // the group (after its spacing, counted from now) runs from the loop.
  auto on_sent = [this, g](bool first) {
    g->rules.OnSent(Clock::now(), first);
    if (first) asio::post(io_, [this, g] { Pump(*g); });
  };
  // A finished transfer's easy handle, if one is kept: creating and destroying a handle per
  // transfer was a twentieth of the fetch loop's time.
  CURL* reuse = nullptr;
  if (!idle_handles_.empty()) {
    reuse = idle_handles_.back();
    idle_handles_.pop_back();
  }
  if (Status prepared = transfer->Prepare(std::move(on_sent), this, reuse); !prepared) {
    OnAttemptDone(group, std::move(job), transfer->Failed(prepared.error()), false);
    return;
  }
  CURL* easy = transfer->easy();
  if (const CURLMcode mc = curl_multi_add_handle(multi_, easy); mc != CURLM_OK) {
    OnAttemptDone(group, std::move(job),
                  transfer->Failed(Error::Retryable(std::string("curl_multi_add_handle: ") +
                                                    curl_multi_strerror(mc))),
                  false);
    return;
  }
  transfers_.emplace(easy, Running{std::move(job), std::move(transfer), &group});
}

void Fetcher::Shard::OnAttemptDone(Group& group, std::unique_ptr<Job> job, FetchResult result,
                                   bool sent) {
  const TimePoint now = Clock::now();
  const FetchRequest& request = job->request;
  spdlog::logger* const log = log_.get();
  if (log->should_log(spdlog::level::debug)) {
    log->debug("fetch={} source={} status={} bytes={} duration={}ms url={}{}{} attempt={}", job->id,
               request.source_id, result.status, result.bytes, result.duration.count(),
               RedactUrl(request.url), result.error ? " error=" : "",
               result.error ? result.error->message : "", job->attempts);
  }
  group.rules.OnFinish(now, OutcomeOf(result), sent);
  ReportCircuit(group);
  std::optional<std::chrono::milliseconds> retry_after;
  if (result.status == 429 || result.status == 503) {
    if (const std::string* value = FindHeader(result.headers, "retry-after")) {
      retry_after =
          ParseRetryAfter(*value, std::chrono::system_clock::now(), request.retry.max_retry_after);
    }
    if (retry_after) {
      group.rules.PauseUntil(now + *retry_after);
      result.retry_after = std::chrono::system_clock::now() + *retry_after;
      log->info("source={} group={} HTTP {}: Retry-After {} ms applies to the group",
                request.source_id, group.rules.key(), result.status, retry_after->count());
    }
  }
  const bool retryable =
      result.error && result.error->error_class == ErrorClass::kRetryable && !result.not_sent;
  if (retryable && !shutting_down_ && job->attempts < request.retry.attempts &&
      !group.rules.CircuitOpen(now)) {
    auto delay = FullJitterBackoff(job->attempts, request.retry.base, request.retry.cap, rng_);
    if (retry_after) delay = std::max(delay, *retry_after);
    // A wait beyond the backoff cap ends this fetch; the scheduler comes back at that time.
    if (delay <= request.retry.cap) {
      if (group.rules.SpendRetryBudget()) {
        if (observer_ != nullptr) observer_->OnRetry(request.source_id, group.rules.key());
        log->info("source={} attempt {} failed ({}); retrying in {} ms", request.source_id,
                  job->attempts, result.error->message, delay.count());
        group.delayed.emplace(now + delay, std::move(job));
        Pump(group);
        return;
      }
      log->warn("source={} group={} retry budget exhausted; not retrying ({})", request.source_id,
                group.rules.key(), result.error->message);
    }
  }
  if (group.rules.CircuitOpen(now)) {
    result.circuit_open_until = WallOf(group.rules.circuit_open_until());
  }
  // Whoever receives the result sees the group state it produced (circuit closed by a good
  // probe, say), not the one from before it.
  Publish(group);
  Complete(std::move(job), std::move(result));
  Pump(group);
}

void Fetcher::Shard::FailQueued(Group& group, const std::string& why) {
  std::deque<std::unique_ptr<Job>> failed = std::move(group.ready);
  group.ready.clear();
  for (auto& [when, job] : group.delayed) failed.push_back(std::move(job));
  group.delayed.clear();
  const auto open_until = WallOf(group.rules.circuit_open_until());
  for (auto& job : failed) {
    FetchResult result = NotSentResult(job->request, Error::Retryable(why));
    result.circuit_open_until = open_until;
    Complete(std::move(job), std::move(result));
  }
}

void Fetcher::Shard::Complete(std::unique_ptr<Job> job, FetchResult result) {
  in_flight_.fetch_sub(1, std::memory_order_acq_rel);
  result.group = job->key;
  result.attempts = job->attempts;
  result.robots = job->robots;
  if (result.not_sent && job->attempts > 0) result.not_sent = false;
  RunCallback(job->done, std::move(result));
}

void Fetcher::Shard::Publish(Group& group) {
  GroupState state = group.rules.State(Clock::now(), std::chrono::system_clock::now(),
                                       group.ready.size() + group.delayed.size());
  std::lock_guard lock(states_mu_);
  // The group's entry is looked up once (entries are never erased, and stay where they are).
  if (group.published == nullptr) group.published = &states_[group.rules.key()];
  *group.published = std::move(state);
}

void Fetcher::Shard::ReportCircuit(Group& group) {
  const CircuitState now = group.rules.circuit();
  if (observer_ == nullptr || now == group.reported) return;
  group.reported = now;
  observer_->OnCircuitState(group.rules.key(), now);
}

void Fetcher::Shard::DoShutdown() {
  shutting_down_ = true;
  if (multi_ != nullptr) {
    auto cancelled = std::move(transfers_);
    transfers_.clear();
    for (auto& [easy, running] : cancelled) curl_multi_remove_handle(multi_, easy);
    for (auto& [easy, running] : cancelled) {
      FetchResult result = running.transfer->Cancelled();
      running.transfer.reset();
      Complete(std::move(running.job), std::move(result));
    }
  }
  for (auto& [key, group] : groups_) {
    group->timer.Cancel();
    std::deque<std::unique_ptr<Job>> queued = std::move(group->ready);
    group->ready.clear();
    for (auto& [when, job] : group->delayed) queued.push_back(std::move(job));
    group->delayed.clear();
    for (auto& job : queued) {
      FetchResult result = NotSentResult(job->request, Error::Retryable("cancelled"));
      Complete(std::move(job), std::move(result));
    }
  }
  for (CURL* easy : idle_handles_) curl_easy_cleanup(easy);
  idle_handles_.clear();
  if (multi_ != nullptr) {
    // While the socket map and the io_context are alive: libcurl may still report sockets.
    curl_multi_cleanup(multi_);
    multi_ = nullptr;
  }
  timer_.Cancel();
  boost::system::error_code ignored;
  socket_events_.cancel(ignored);
  sockets_.clear();
  // The aborted waits complete; then run() returns.
  work_.reset();
}

// CURLMOPT_SOCKETFUNCTION
int Fetcher::Shard::OnSocketCallback(CURL* /*easy*/, curl_socket_t fd, int what, void* self,
                                     void* /*socket_data*/) noexcept {
  auto* shard = static_cast<Shard*>(self);
  try {
    if (what == CURL_POLL_REMOVE) {
      shard->UnwatchSocket(fd);
    } else {
      shard->WatchSocket(fd, what);
    }
    return 0;
  } catch (const std::exception& e) {
    shard->log_->error("shard={} watching fd {} failed: {}", shard->index_, fd, e.what());
  } catch (...) {
    shard->log_->error("shard={} watching fd {} failed", shard->index_, fd);
  }
  return -1;
}

// CURLMOPT_TIMERFUNCTION. Never calls libcurl from here: even a 0 ms timeout goes through the
// loop so that curl_multi_socket_action runs from there.
// With many transfers in flight, curl's earliest deadline (the oldest transfer's total timeout)
// moves a little later with nearly every transfer that ends or starts: the timer is an
// EarliestTimer, re-armed only for an earlier deadline (a timerfd_settime per transfer
// before). Firing early is harmless, because a timeout action makes libcurl report its timeout
// again (it forgets the last one it reported). Nor is the timer cancelled when curl asks for
// "now" (every transfer added) or for no timeout at all.
int Fetcher::Shard::OnTimerCallback(CURLM* /*multi*/, long timeout_ms, void* self) noexcept {
  auto* shard = static_cast<Shard*>(self);
  try {
    if (timeout_ms < 0) return 0;  // an armed timer fires once more and finds nothing due
    if (timeout_ms == 0) {
      // One posted socket action, however many times curl asks before it runs. Posted, never
      // run inline: curl may not be re-entered from its own callback.
      if (!shard->timeout_posted_) {
        shard->timeout_posted_ = true;
        asio::post(shard->io_, [shard] {
          shard->timeout_posted_ = false;
          shard->OnTimer();
        });
      }
      return 0;
    }
    shard->timer_.FireBy(Clock::now() + std::chrono::milliseconds(timeout_ms),
                         [shard] { shard->OnTimer(); });
    return 0;
  } catch (const std::exception& e) {
    shard->log_->error("shard={} arming the timer failed: {}", shard->index_, e.what());
  } catch (...) {
    shard->log_->error("shard={} arming the timer failed", shard->index_);
  }
  return -1;
}

// libcurl's sockets are watched in the shard's own epoll set, level-triggered, whose descriptor
// the loop waits on: one wait (and one epoll_wait) per batch of ready sockets, where a wait per
// socket cost the loop an epoll_ctl system call each time libcurl wanted to read (Asio
// re-registers a descriptor for every wait it starts). A connected connection's socket stays in
// the set between transfers, registered for what libcurl last wanted: the next transfer on the
// kept connection usually wants the same, and then costs no system call at all. If such an idle
// socket becomes ready (the server closed the connection), it leaves the set (SocketsReady);
// libcurl finds out itself when it next uses the connection.
// Only such a socket's registration can be trusted to be current, because only its closing is
// announced (the close callback, before the number is freed). libcurl closes the loser of two
// connects raced to a name's addresses without the callback, and says REMOVE only afterwards;
// the number can meanwhile come back for another socket, unknown to the set.
void Fetcher::Shard::WatchSocket(curl_socket_t fd, int what) {
  Watched& socket = sockets_[fd];
  socket.wanted = what & (CURL_POLL_IN | CURL_POLL_OUT);
  // Reading means the connect is done: from then on libcurl closes it through the callback.
  if (socket.connection && (socket.wanted & CURL_POLL_IN) != 0) socket.connected = true;
  const uint32_t events = ((socket.wanted & CURL_POLL_IN) != 0 ? EPOLLIN : 0u) |
                          ((socket.wanted & CURL_POLL_OUT) != 0 ? EPOLLOUT : 0u);
  if (socket.connected && socket.registered == events) return;
  epoll_event event{};
  event.events = events;
  event.data.fd = fd;
  int rc =
      epoll_ctl(socket_set(), socket.registered != 0 ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event);
  if (rc != 0 && (errno == ENOENT || errno == EEXIST)) {
    // What the set had was not what we knew (a number closed and reused behind our back): this
    // socket's registration is never trusted again.
    socket.connection = false;
    socket.connected = false;
    rc = epoll_ctl(socket_set(), errno == ENOENT ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event);
  }
  if (rc != 0) {
    const int error = errno;
    sockets_.erase(fd);
    throw std::runtime_error(std::string("epoll_ctl: ") + std::strerror(error));
  }
  socket.registered = events;
}

void Fetcher::Shard::UnwatchSocket(curl_socket_t fd) {
  const auto it = sockets_.find(fd);
  if (it == sockets_.end()) return;
  // libcurl says REMOVE at the end of every transfer, also when it keeps the connection for
  // the next one: a connected connection's socket stays in the set. Any other leaves it now
  // (if libcurl already closed it, the number is forgotten, so that a new socket given the same
  // number is registered afresh).
  if (it->second.connected) {
    it->second.wanted = 0;
    return;
  }
  ReleaseSocket(fd);
}

void Fetcher::Shard::Opened(curl_socket_t fd) {
  // A new socket: whatever was known of an earlier one with this number is void (closing it
  // took it out of the set).
  sockets_[fd] = Watched{.connection = true};
}

void Fetcher::Shard::Closing(curl_socket_t fd) { ReleaseSocket(fd); }

void Fetcher::Shard::ReleaseSocket(curl_socket_t fd) {
  const auto it = sockets_.find(fd);
  if (it == sockets_.end()) return;
  // Out of the set before libcurl closes the number, which can come back at once. Failure is
  // harmless: the descriptor is already closed (and so out of the set).
  if (it->second.registered != 0) epoll_ctl(socket_set(), EPOLL_CTL_DEL, fd, nullptr);
  sockets_.erase(it);
}

void Fetcher::Shard::WaitForSocketEvents() {
  socket_events_.async_wait(
      asio::posix::stream_descriptor::wait_read, [this](boost::system::error_code ec) {
        if (ec == asio::error::operation_aborted || multi_ == nullptr) return;
        if (ec) {
          log_->error("shard={} waiting for sockets: {}", index_, ec.message());
        }
        // Waiting again once the ready sockets are handled (before, the set would still be
        // ready and wake the loop once more for nothing), also when a callback throws.
        try {
          SocketsReady();
        } catch (...) {
          WaitForSocketEvents();
          throw;
        }
        WaitForSocketEvents();
      });
}

void Fetcher::Shard::SocketsReady() {
  std::array<epoll_event, 64> ready;
  const int n = epoll_wait(socket_set(), ready.data(), static_cast<int>(ready.size()), 0);
  if (n < 0) {
    if (errno != EINTR) {
      log_->error("shard={} epoll_wait: {}", index_, std::strerror(errno));
    }
    return;
  }
  for (int i = 0; i < n && multi_ != nullptr; ++i) {
    const curl_socket_t fd = ready[i].data.fd;
    const uint32_t events = ready[i].events;
    // A socket let go of by an earlier event of this batch is not in the map any more (and
    // its number may be a new socket's, which then gets a spurious action libcurl ignores).
    const auto it = sockets_.find(fd);
    if (it == sockets_.end()) continue;
    const int wanted = it->second.wanted;
    if (wanted == 0) {
      // An idle connection became readable or failed: out of the set, or level-triggered
      // events would wake the loop until libcurl uses or closes it.
      epoll_ctl(socket_set(), EPOLL_CTL_DEL, fd, nullptr);
      it->second.registered = 0;
      continue;
    }
    // A hang-up or error is handed to libcurl as the readiness it waits for (reading or
    // writing then reports what happened), with the error flag.
    const bool trouble = (events & (EPOLLERR | EPOLLHUP)) != 0;
    int action = 0;
    if ((wanted & CURL_POLL_IN) != 0 && ((events & EPOLLIN) != 0 || trouble)) {
      action |= CURL_CSELECT_IN;
    }
    if ((wanted & CURL_POLL_OUT) != 0 && ((events & EPOLLOUT) != 0 || trouble)) {
      action |= CURL_CSELECT_OUT;
    }
    if ((events & EPOLLERR) != 0) action |= CURL_CSELECT_ERR;
    if (action != 0) SocketAction(fd, action);
  }
}

void Fetcher::Shard::OnTimer() {
  if (multi_ == nullptr) return;
  SocketAction(CURL_SOCKET_TIMEOUT, 0);
}

void Fetcher::Shard::SocketAction(curl_socket_t fd, int events) {
  int running = 0;
  if (const CURLMcode mc = curl_multi_socket_action(multi_, fd, events, &running); mc != CURLM_OK) {
    log_->error("shard={} curl_multi_socket_action: {}", index_, curl_multi_strerror(mc));
  }
  DrainCompleted();
}

void Fetcher::Shard::DrainCompleted() {
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
    if (message->msg != CURLMSG_DONE) continue;
    // Copied out: the message is invalid once the handle is removed.
    CURL* const easy = message->easy_handle;
    const CURLcode code = message->data.result;
    curl_multi_remove_handle(multi_, easy);
    const auto it = transfers_.find(easy);
    if (it == transfers_.end()) continue;
    Running running = std::move(it->second);
    transfers_.erase(it);
    FetchResult result = running.transfer->Finish(code);
    const bool sent = running.transfer->sent();
    if (idle_handles_.size() < kIdleHandles) {
      idle_handles_.push_back(running.transfer->TakeHandle());
    }
    running.transfer.reset();
    OnAttemptDone(*running.group, std::move(running.job), std::move(result), sent);
  }
}

}  // namespace tributary::fetchers
