#include "merge/pool/worker_pool.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <future>

#include "common/log.hpp"
#include "merge/pool/worker_process.hpp"

namespace tributary::merge::pool {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct WorkerPool::Pending {
  Job job;
  Callback done;
  int attempts = 0;
  std::string last_cause;
};

struct WorkerPool::Worker {
  Worker(asio::io_context& io, pid_t p) : pid(p), socket(io), deadline(io) {}
  pid_t pid;
  uint64_t serial = 0;
  asio::local::stream_protocol::socket socket;
  asio::steady_timer deadline;
  bool alive = true;
  std::optional<Pending> job;  // the job it is running
  uint64_t request_id = 0;
  std::string out;  // the encoded request being written
  std::array<char, kFrameHeaderSize> header{};
  FrameHeader decoded;
  std::string payload;
};

struct WorkerPool::State {
  explicit State(asio::io_context& io) : child_signals(io, SIGCHLD), respawn_timer(io) {}
  asio::signal_set child_signals;
  asio::steady_timer respawn_timer;
  std::vector<std::shared_ptr<Worker>> workers;
  std::deque<Pending> queue;
  std::deque<Clock::time_point> recent_spawns;  // for the crash-loop brake
  std::chrono::milliseconds respawn_backoff{0};
  bool respawn_scheduled = false;
  bool started = false;
  bool stopped = false;
  uint64_t next_request_id = 1;
  uint64_t next_serial = 1;
  PoolStats counters;
};

namespace {
std::shared_ptr<spdlog::logger> Log() { return Logger("pool"); }
constexpr auto kCrashLoopWindow = std::chrono::seconds(10);
}  // namespace

WorkerPool::WorkerPool(asio::io_context& io, PoolOptions options)
    : io_(io), options_(std::move(options)), state_(std::make_unique<State>(io)) {}

WorkerPool::~WorkerPool() = default;

void WorkerPool::Start() {
  asio::post(io_, [this] { DoStart(); });
}

void WorkerPool::DoStart() {
  if (state_->started || state_->stopped) return;
  state_->started = true;
  state_->child_signals.async_wait([this](const boost::system::error_code& ec, int) {
    if (!ec) OnChildSignal();
  });
  for (int i = 0; i < options_.processes; ++i) SpawnOne();
  Dispatch();
}

void WorkerPool::SpawnOne() {
  auto spawned = SpawnWorkerProcess(options_.worker_exe, options_.worker_args);
  if (!spawned) {
    Log()->error("cannot start a worker: {}", spawned.error().message);
    ScheduleRespawn();
    return;
  }
  auto w = std::make_shared<Worker>(io_, spawned->pid);
  w->serial = state_->next_serial++;
  w->socket.assign(asio::local::stream_protocol(), spawned->socket_fd);
  state_->workers.push_back(w);
  state_->recent_spawns.push_back(Clock::now());
  Log()->debug("worker {} started (pid {})", w->serial, w->pid);
  UpdateStats();
}

// Replaces lost workers. More spawns than twice the pool size within kCrashLoopWindow means
// something crashes every worker at once (a bad binary, a hostile document being retried):
// slow down exponentially instead of burning the CPU on spawns.
void WorkerPool::ScheduleRespawn() {
  if (state_->stopped || state_->respawn_scheduled) return;
  const auto now = Clock::now();
  while (!state_->recent_spawns.empty() && now - state_->recent_spawns.front() > kCrashLoopWindow) {
    state_->recent_spawns.pop_front();
  }
  const bool looping =
      state_->recent_spawns.size() >= static_cast<size_t>(2 * std::max(1, options_.processes));
  if (looping) {
    state_->respawn_backoff =
        std::clamp(state_->respawn_backoff * 2, std::chrono::milliseconds(250),
                   std::chrono::milliseconds(30000));
    Log()->warn("workers are dying repeatedly; next respawn in {} ms",
                state_->respawn_backoff.count());
  } else {
    state_->respawn_backoff = std::chrono::milliseconds(0);
  }
  state_->respawn_scheduled = true;
  state_->respawn_timer.expires_after(state_->respawn_backoff);
  state_->respawn_timer.async_wait([this](const boost::system::error_code& ec) {
    state_->respawn_scheduled = false;
    if (ec || state_->stopped) return;
    int alive = 0;
    for (const auto& w : state_->workers) alive += w->alive ? 1 : 0;
    if (alive < options_.processes) {
      SpawnOne();
      ++state_->counters.respawns;
      if (alive + 1 < options_.processes) ScheduleRespawn();
    }
    Dispatch();
  });
}

void WorkerPool::Submit(Job job, Callback done) {
  asio::post(io_, [this, job = std::move(job), done = std::move(done)]() mutable {
    Pending p{std::move(job), std::move(done), 0, {}};
    if (state_->stopped) {
      Finish(std::move(p), JobOutcome{std::nullopt, {}, Error::Retryable("pool stopped"), 0});
      return;
    }
    state_->queue.push_back(std::move(p));
    Dispatch();
  });
}

void WorkerPool::Dispatch() {
  if (state_->stopped) return;
  for (const auto& w : state_->workers) {
    if (state_->queue.empty()) break;
    if (!w->alive || w->job) continue;
    w->job = std::move(state_->queue.front());
    state_->queue.pop_front();
    DoSend(w);
  }
  UpdateStats();
}

void WorkerPool::DoSend(const std::shared_ptr<Worker>& w) {
  Pending& p = *w->job;
  ++p.attempts;
  w->request_id = state_->next_request_id++;
  Frame frame;
  frame.type = FrameType::kRequest;
  frame.request_id = w->request_id;
  frame.meta = p.job.meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  frame.body = p.job.body;
  auto encoded = EncodeFrame(frame);
  if (!encoded) {
    Pending failed = std::move(*w->job);
    w->job.reset();
    Finish(std::move(failed), JobOutcome{std::nullopt, {}, encoded.error(), failed.attempts});
    return;
  }
  w->out = std::move(encoded.value());

  w->deadline.expires_after(options_.job_timeout);
  w->deadline.async_wait([this, w](const boost::system::error_code& ec) {
    if (ec || !w->alive || !w->job) return;
    ++state_->counters.worker_timeouts;
    LoseWorker(w, "timed out after " + std::to_string(options_.job_timeout.count()) + " ms",
               std::nullopt);
  });
  asio::async_write(w->socket, asio::buffer(w->out),
                    [this, w](const boost::system::error_code& ec, size_t) {
                      w->out.clear();
                      w->out.shrink_to_fit();
                      if (ec && w->alive) LoseWorker(w, "", std::nullopt);
                    });
  DoReadHeader(w);
}

void WorkerPool::DoReadHeader(const std::shared_ptr<Worker>& w) {
  asio::async_read(w->socket, asio::buffer(w->header),
                   [this, w](const boost::system::error_code& ec, size_t) {
                     if (!w->alive) return;
                     if (ec) return LoseWorker(w, "", std::nullopt);
                     OnHeader(w);
                   });
}

void WorkerPool::OnHeader(const std::shared_ptr<Worker>& w) {
  auto header =
      DecodeHeader(std::string_view(w->header.data(), w->header.size()), options_.max_frame);
  if (!header || header->type != FrameType::kReply || header->request_id != w->request_id) {
    return LoseWorker(w, "sent a corrupt reply" + (header ? "" : ": " + header.error().message),
                      std::nullopt);
  }
  w->decoded = *header;
  w->payload.resize(header->PayloadSize());
  asio::async_read(w->socket, asio::buffer(w->payload),
                   [this, w](const boost::system::error_code& ec, size_t) {
                     if (!w->alive) return;
                     if (ec) return LoseWorker(w, "", std::nullopt);
                     OnPayload(w);
                   });
}

void WorkerPool::OnPayload(const std::shared_ptr<Worker>& w) {
  w->deadline.cancel();
  JobOutcome outcome;
  outcome.reply = nlohmann::json::parse(w->payload.begin(),
                                        w->payload.begin() + w->decoded.meta_length, nullptr,
                                        /*allow_exceptions=*/false);
  if (outcome.reply->is_discarded()) {
    return LoseWorker(w, "sent a reply that is not JSON", std::nullopt);
  }
  outcome.body = w->payload.substr(w->decoded.meta_length);
  w->payload.clear();
  Pending p = std::move(*w->job);
  w->job.reset();
  outcome.attempts = p.attempts;
  ++state_->counters.jobs_completed;
  UpdateStats();  // before the callback, so its caller sees the job counted
  Finish(std::move(p), std::move(outcome));
  Dispatch();
}

void WorkerPool::OnChildSignal() {
  if (state_->stopped) return;
  for (const auto& w : std::vector<std::shared_ptr<Worker>>(state_->workers)) {
    if (!w->alive) continue;
    int status = 0;
    const pid_t r = ::waitpid(w->pid, &status, WNOHANG);
    if (r == w->pid) LoseWorker(w, "", status);
  }
  state_->child_signals.async_wait([this](const boost::system::error_code& ec, int) {
    if (!ec) OnChildSignal();
  });
}

// A worker is gone (or must go): reap it, retry or fail its job, and replace it.
// `status` is set when the process was already reaped.
void WorkerPool::LoseWorker(const std::shared_ptr<Worker>& w, std::string cause,
                            std::optional<int> status) {
  if (!w->alive) return;
  w->alive = false;
  w->deadline.cancel();
  boost::system::error_code ignored;
  w->socket.close(ignored);
  if (!status) {
    // SIGKILL first so the blocking waitpid cannot hang on a worker that closed its socket
    // but keeps running; killing a process that already exited is harmless (it is a zombie
    // until reaped, so its pid cannot have been reused).
    ::kill(w->pid, SIGKILL);
    int st = 0;
    if (::waitpid(w->pid, &st, 0) == w->pid) status = st;
  }
  if (cause.empty()) {
    cause = status ? DescribeWaitStatus(*status) : "lost its connection";
  }
  std::erase(state_->workers, w);
  if (w->job) {
    ++state_->counters.worker_crashes;
    Pending p = std::move(*w->job);
    w->job.reset();
    Log()->warn("worker {} (pid {}) {} while running a job ({}), attempt {}", w->serial, w->pid,
                cause, p.job.label, p.attempts);
    if (p.attempts < options_.max_attempts && !state_->stopped) {
      p.last_cause = cause;
      state_->queue.push_front(std::move(p));
    } else {
      std::string message = "worker " + cause;
      if (p.attempts > 1)
        message += p.last_cause == cause ? " twice" : " (and before: " + p.last_cause + ")";
      const int attempts = p.attempts;
      ++state_->counters.jobs_failed;
      UpdateStats();
      Finish(std::move(p), JobOutcome{std::nullopt, {}, Error::SourceBroken(message), attempts});
    }
  } else if (!state_->stopped) {
    Log()->warn("idle worker {} (pid {}) {}", w->serial, w->pid, cause);
  }
  if (!state_->stopped) ScheduleRespawn();
  UpdateStats();
}

void WorkerPool::Finish(Pending pending, JobOutcome outcome) {
  try {
    pending.done(std::move(outcome));
  } catch (const std::exception& e) {
    Log()->error("job callback threw ({}): {}", pending.job.label, e.what());
  }
}

void WorkerPool::Stop() {
  if (io_.get_executor().running_in_this_thread()) {
    DoStop();
    return;
  }
  std::promise<void> done;
  auto future = done.get_future();
  asio::post(io_, [this, &done] {
    DoStop();
    done.set_value();
  });
  future.wait();
}

void WorkerPool::DoStop() {
  if (state_->stopped) return;
  state_->stopped = true;
  boost::system::error_code ignored;
  state_->child_signals.cancel(ignored);
  state_->respawn_timer.cancel();
  auto queued = std::move(state_->queue);
  state_->queue.clear();
  for (auto& p : queued) {
    const int attempts = p.attempts;
    Finish(std::move(p), JobOutcome{std::nullopt, {}, Error::Retryable("pool stopped"), attempts});
  }
  auto workers = std::move(state_->workers);
  state_->workers.clear();
  for (auto& w : workers) {
    w->alive = false;
    w->deadline.cancel();
    w->socket.close(ignored);  // the worker sees end of stream and exits
  }
  const auto grace = Clock::now() + std::chrono::seconds(2);
  for (auto& w : workers) {
    int status = 0;
    while (::waitpid(w->pid, &status, WNOHANG) == 0) {
      if (Clock::now() > grace) {
        ::kill(w->pid, SIGKILL);
        ::waitpid(w->pid, &status, 0);
        break;
      }
      ::usleep(5000);  // polling a process exit: there is no fd to wait on
    }
    if (w->job) {
      Pending p = std::move(*w->job);
      w->job.reset();
      const int attempts = p.attempts;
      Finish(std::move(p),
             JobOutcome{std::nullopt, {}, Error::Retryable("pool stopped"), attempts});
    }
  }
  UpdateStats();
}

void WorkerPool::UpdateStats() {
  PoolStats s = state_->counters;
  s.processes = 0;
  s.busy = 0;
  for (const auto& w : state_->workers) {
    if (!w->alive) continue;
    ++s.processes;
    if (w->job) ++s.busy;
  }
  s.queued = state_->queue.size();
  std::lock_guard lock(stats_mu_);
  stats_ = s;
}

PoolStats WorkerPool::Stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

}  // namespace tributary::merge::pool
