#pragma once
// One I/O thread of the fetch engine: an io_context, a CURLM driven by it, the thread that runs
// both, and the politeness groups that live on it. libcurl's multi-socket API tells us which fds
// to watch (CURLMOPT_SOCKETFUNCTION) and when to call it back (CURLMOPT_TIMERFUNCTION); the
// shard's own epoll set watches the sockets, Asio the set and the timer. Nothing is shared with
// other shards. Easy handles of finished transfers are kept for the next ones.
// A fetch is a Job: it waits in its group's queue until the group's rules let it start (a
// steady_timer per group wakes it), runs as one Transfer per attempt, and is retried with full
// jitter backoff while its failures are retryable, attempts and the group's retry budget last,
// and the wait stays within the backoff cap (a longer Retry-After ends the fetch; the scheduler
// comes back then).
// Contract: Submit() hands a job over (a list the loop takes from) and never blocks on I/O; its
// callback runs exactly once on this shard's thread (with "cancelled" once Stop() has begun, at
// once on the caller's thread when the shard is already stopped). Stop() cancels what is queued or
// in flight, cleans the multi handle up while the sockets and the io_context still live, and joins.
// Thread safety: Submit, CompleteLater, Stop, InFlight and StateOf may be called from any
// thread, except that Stop must not be called from a completion callback (it joins the thread
// running it). Everything else runs on the shard's thread.

#include <curl/curl.h>

#include <atomic>
#include <boost/asio.hpp>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/log.hpp"
#include "fetchers/fetcher.hpp"
#include "fetchers/politeness_group.hpp"
#include "fetchers/transfer.hpp"

namespace tributary::fetchers {

class Fetcher::Shard : private ConnectionSockets {
 public:
  // `observer` (may be null) outlives the shard.
  Shard(int index, FetchObserver* observer);
  ~Shard();  // Stop()s.
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // Queues a fetch in group `key`.
  void Submit(FetchRequest&& request, Callback&& done, std::string&& key, RobotsVerdict robots);
  // Runs `done(result)` on this shard's thread (at once on the caller's when stopped); for
  // fetches decided without a request (robots.txt disallows).
  void CompleteLater(FetchResult result, Callback done);
  // Stop() is RequestStop() then Join(); the Fetcher asks every shard first, then joins them.
  void RequestStop();
  void Join();
  void Stop();
  size_t InFlight() const { return in_flight_.load(std::memory_order_acquire); }
  std::optional<GroupState> StateOf(const std::string& key) const;

 private:
  using TimePoint = PolitenessGroup::TimePoint;

  struct Job {
    uint64_t id = 0;  // for log lines
    FetchRequest request;
    Callback done;
    std::string key;
    RobotsVerdict robots = RobotsVerdict::kNotChecked;
    int attempts = 0;
  };
  // A timer asked to fire by deadlines that mostly move later: a pending wait that fires no
  // later than asked is kept (whoever it wakes asks again for what is left), so that only an
  // earlier deadline costs re-arming (a timerfd_settime system call and a cancelled wait).
  struct EarliestTimer {
    explicit EarliestTimer(boost::asio::io_context& io) : timer(io) {}
    // Calls on_fire() at `when` at the latest (never when the wait is cancelled).
    template <class OnFire>
    void FireBy(TimePoint when, OnFire on_fire) {
      if (due && *due <= when) return;
      due = when;
      timer.expires_at(when);
      timer.async_wait([this, on_fire = std::move(on_fire)](boost::system::error_code ec) mutable {
        if (ec == boost::asio::error::operation_aborted) return;
        due.reset();
        on_fire();
      });
    }
    void Cancel() {
      timer.cancel();
      due.reset();
    }
    boost::asio::steady_timer timer;
    std::optional<TimePoint> due;  // when the pending wait fires, if one is pending
  };
  struct Group {
    Group(boost::asio::io_context& io, std::string key, const FetchRequest& like, TimePoint now)
        : rules(std::move(key), like.group, like.retry, now), timer(io) {}
    PolitenessGroup rules;
    std::deque<std::unique_ptr<Job>> ready;
    std::multimap<TimePoint, std::unique_ptr<Job>> delayed;  // retries waiting for their time
    EarliestTimer timer;  // wakes Pump when the rules or a retry allow a start
    CircuitState reported = CircuitState::kClosed;  // what the observer was last told
    bool taking = false;              // TakeIncoming queued jobs in it and pumps it next
    GroupState* published = nullptr;  // its entry in states_, once published
  };
  struct Running {
    std::unique_ptr<Job> job;  // declared first: destroyed after the transfer, which refers to it
    std::unique_ptr<Transfer> transfer;
    Group* group = nullptr;
  };

  // A socket libcurl asked us to watch, as the shard's epoll set has it.
  struct Watched {
    int wanted = 0;           // CURL_POLL_IN / CURL_POLL_OUT bits libcurl asked for
    uint32_t registered = 0;  // EPOLLIN / EPOLLOUT the set has for it; 0: not in the set
    bool connection = false;  // a connection's socket (opened through ConnectionSockets)
    bool connected = false;   // ... that libcurl has read from: its closing is announced
  };

  void Run();
  // Queues the submitted jobs in their groups and starts what the groups allow.
  void TakeIncoming();
  void DoShutdown();
  Group& GroupFor(const std::string& key, const FetchRequest& like);
  // Starts what the group's rules allow now and arms the group's timer for the rest.
  void Pump(Group& group);
  void ArmGroupTimer(Group& group, TimePoint when);
  void StartAttempt(Group& group, std::unique_ptr<Job> job, TimePoint now);
  // `sent`: whether the attempt's request went out (the group was told by OnSent).
  void OnAttemptDone(Group& group, std::unique_ptr<Job> job, FetchResult result, bool sent);
  void FailQueued(Group& group, const std::string& why);
  void Complete(std::unique_ptr<Job> job, FetchResult result);
  void Publish(Group& group);
  // Tells the observer when the group's circuit state differs from what it was last told.
  void ReportCircuit(Group& group);

  static int OnSocketCallback(CURL* easy, curl_socket_t fd, int what, void* self,
                              void* socket_data) noexcept;
  static int OnTimerCallback(CURLM* multi, long timeout_ms, void* self) noexcept;
  void WatchSocket(curl_socket_t fd, int what);
  // CURL_POLL_REMOVE: the socket stops being watched (it stays in the set if a connection's).
  void UnwatchSocket(curl_socket_t fd);
  void ReleaseSocket(curl_socket_t fd);
  int socket_set() { return socket_events_.native_handle(); }
  // Waits for the socket set to have ready sockets; SocketsReady hands them to libcurl.
  void WaitForSocketEvents();
  void SocketsReady();
  // ConnectionSockets: libcurl opened a connection's socket, or is about to close it.
  void Opened(curl_socket_t fd) override;
  void Closing(curl_socket_t fd) override;
  void OnTimer();  // curl's timeout is due (or nearly: see OnTimerCallback)
  void SocketAction(curl_socket_t fd, int events);
  void DrainCompleted();

  // Constant after construction. Declared first so that it is destroyed last: every pending
  // handler (they capture `this`) is destroyed with it, never run after the shard is gone.
  const int index_;
  FetchObserver* const observer_;
  // Looked up once: the registry lookup takes a process-wide lock (every transfer logs).
  const std::shared_ptr<spdlog::logger> log_;
  boost::asio::io_context io_{1};

  // Guarded by mu_: once stopped_ is set nothing more is posted to io_.
  std::mutex mu_;
  bool stopped_ = false;
  std::vector<std::unique_ptr<Job>> incoming_;  // submitted, not yet taken by the loop

  std::mutex join_mu_;  // serialises concurrent Stop() calls on the join
  std::atomic<size_t> in_flight_{0};

  mutable std::mutex states_mu_;
  std::unordered_map<std::string, GroupState> states_;  // Guarded by states_mu_.

  // Used only on the shard's thread.
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  EarliestTimer timer_{io_};              // curl's timeout (CURLMOPT_TIMERFUNCTION)
  bool timeout_posted_ = false;           // a 0 ms timeout's socket action is posted
  CURLM* multi_ = nullptr;
  bool shutting_down_ = false;
  uint64_t next_job_id_ = 1;
  std::mt19937_64 rng_;
  // The epoll set of libcurl's sockets (its descriptor, owned and watched by the loop).
  boost::asio::posix::stream_descriptor socket_events_{io_};
  std::unordered_map<curl_socket_t, Watched> sockets_;
  std::unordered_map<std::string, std::unique_ptr<Group>> groups_;
  std::unordered_map<CURL*, Running> transfers_;
  // Easy handles of finished transfers, for the next ones (at most kIdleHandles).
  static constexpr size_t kIdleHandles = 32;
  std::vector<CURL*> idle_handles_;

  std::thread thread_;  // started last in the constructor
};

}  // namespace tributary::fetchers
