#include "merge/pool/worker_pool.hpp"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cassert>
#include <cstring>
#include <deque>
#include <future>
#include <utility>

#include "common/json_parse.hpp"
#include "common/log.hpp"
#include "merge/pool/worker_process.hpp"

namespace tributary::merge::pool {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct WorkerPool::Pending {
  Job job;  // job.body is moved into `body` on submission
  Callback done;
  std::shared_ptr<const std::string> body;
  std::shared_ptr<const SharedBody> shared;  // the body as a memfd, made on the first send
  int attempts = 0;
  // After a lost attempt: the retry runs only on a worker that has run nothing before (the
  // replacement), never on a sibling whose state the same document may have worn down too.
  bool needs_fresh_worker = false;
  // It was queued ahead on a worker that was lost: it may have been what killed it (the worker
  // runs it as soon as it has written the reply before it, which the daemon may not have read
  // yet). It runs with nothing queued around it from now on, so that a loss is its own.
  bool run_alone = false;
  std::string last_loss;
  std::vector<FailureCause> losses;
};

struct WorkerPool::Worker {
  Worker(asio::io_context& io, pid_t p) : pid(p), socket(io), deadline(io), grace(io) {}
  pid_t pid;
  uint64_t serial = 0;
  asio::local::stream_protocol::socket socket;
  asio::steady_timer deadline;  // the running job's job_timeout
  asio::steady_timer grace;     // after the connection dropped: time left to exit by itself
  bool alive = true;            // still counted in the pool (not yet reaped)
  bool closing = false;         // its connection dropped; waiting for its exit
  std::optional<Pending> job;   // the job it is running
  // A job whose request was sent while `job` runs: the worker reads it as soon as it replies,
  // instead of waiting for the daemon to read the reply and send the next request. Not
  // started, so not charged if the worker is lost (it goes back to the queue).
  std::optional<Pending> ahead;
  uint64_t jobs_taken = 0;      // jobs sent to it so far
  uint64_t request_id = 0;        // of `job`
  uint64_t ahead_request_id = 0;  // of `ahead`
  // Its body region (null when none could be made) and the slot holding the body of `job` and
  // of `ahead` (-1: the body went another way). The two never share a slot.
  std::unique_ptr<BodyRegion> region;
  int job_slot = -1;
  int ahead_slot = -1;
  bool writing = false;  // a request (of `ahead` when set, else of `job`) is still being written
  std::string out;       // header + meta of the request being written
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
  bool region_warned = false;
  bool started = false;
  bool stopped = false;
  uint64_t next_request_id = 1;
  uint64_t next_serial = 1;
  PoolStats counters;
};

namespace {
std::shared_ptr<spdlog::logger> Log() { return Logger("pool"); }
constexpr auto kCrashLoopWindow = std::chrono::seconds(10);
constexpr size_t kKeptPayloadBuffer = 256 * 1024;
constexpr auto kMinBrakeDelay = std::chrono::milliseconds(250);
constexpr auto kMaxBrakeDelay = std::chrono::milliseconds(30000);

std::vector<std::string> WorkerArgs(const PoolOptions& o) {
  auto args = o.worker_args;
  for (auto& a : WorkerLimitArgs(o.limits)) args.push_back(std::move(a));
  return args;
}
}  // namespace

WorkerPool::WorkerPool(asio::io_context& io, PoolOptions options)
    : io_(io), options_(std::move(options)), state_(std::make_unique<State>(io)) {
  state_->counters.configured = options_.processes;
  stats_ = state_->counters;
}

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
  state_->recent_spawns.push_back(Clock::now());
  auto args = WorkerArgs(options_);
  std::unique_ptr<BodyRegion> region;
  // Bodies below the memfd threshold go through the region (slots rounded up to whole pages);
  // a worker without one (the region could not be made) gets them through the socket.
  if (options_.body_region && options_.shared_body_threshold > 1) {
    constexpr size_t kPage = 4096;
    const size_t slot_size = (options_.shared_body_threshold - 1 + kPage - 1) / kPage * kPage;
    if (auto made = BodyRegion::Create(slot_size)) {
      region = std::move(made.value());
      args.push_back(std::string(kBodyRegionArg) + std::to_string(region->slot_size()));
    } else if (!state_->region_warned) {
      state_->region_warned = true;  // the same reason would repeat at every spawn
      Log()->warn("workers get their documents through their sockets: {}", made.error().message);
    }
  }
  auto spawned =
      SpawnWorkerProcess(options_.worker_exe, args, region ? region->fd() : -1);
  if (!spawned) {
    ++state_->counters.spawn_failures;
    Log()->error("cannot start a worker: {}", spawned.error().message);
    ScheduleRespawn();
    return;
  }
  auto w = std::make_shared<Worker>(io_, spawned->pid);
  w->serial = state_->next_serial++;
  w->region = std::move(region);
  w->socket.assign(asio::local::stream_protocol(), spawned->socket_fd);
  state_->workers.push_back(w);
  ++state_->counters.spawns;
  Log()->debug("worker {} started (pid {})", w->serial, w->pid);
  UpdateStats();
}

// Replaces lost workers. More spawns than twice the pool size within kCrashLoopWindow means
// something kills every worker (a bad binary, a hostile document being retried): slow down
// exponentially instead of burning the CPU on spawns.
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
        std::clamp(state_->respawn_backoff * 2, kMinBrakeDelay, kMaxBrakeDelay);
    ++state_->counters.brake_engagements;
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
    for (const auto& w : state_->workers) alive += w->alive && !w->closing ? 1 : 0;
    if (alive < options_.processes) {
      SpawnOne();
      ++state_->counters.respawns;
      if (alive + 1 < options_.processes) ScheduleRespawn();
    }
    Dispatch();
  });
  UpdateStats();
}

void WorkerPool::Submit(Job job, Callback done) {
  asio::post(io_, [this, job = std::move(job), done = std::move(done)]() mutable {
    Pending p;
    p.body = std::make_shared<const std::string>(std::move(job.body));
    p.job = std::move(job);
    p.done = std::move(done);
    ++state_->counters.jobs_submitted;
    if (state_->stopped) {
      ++state_->counters.jobs_failed;
      UpdateStats();
      JobOutcome out;
      out.failure = Error::Retryable("pool stopped");
      Finish(std::move(p), std::move(out));
      return;
    }
    state_->queue.push_back(std::move(p));
    Dispatch();
  });
}

void WorkerPool::Dispatch() {
  if (state_->stopped) return;
  for (const auto& w : std::vector<std::shared_ptr<Worker>>(state_->workers)) {
    if (state_->queue.empty()) break;
    if (!w->alive || w->closing || w->job) continue;
    // The first job in line this worker may take: a retry waits for a fresh worker.
    auto next = std::find_if(state_->queue.begin(), state_->queue.end(), [&w](const Pending& p) {
      return !p.needs_fresh_worker || w->jobs_taken == 0;
    });
    if (next == state_->queue.end()) continue;
    w->job = std::move(*next);
    state_->queue.erase(next);
    DoSend(w);
  }
  // Jobs still waiting: one more request to each busy worker, written while it works.
  for (const auto& w : std::vector<std::shared_ptr<Worker>>(state_->workers)) {
    if (state_->queue.empty() || !options_.queue_ahead) break;
    if (!w->alive || w->closing || !w->job || w->ahead || w->writing) continue;
    // Nothing behind a retry or a job that must run alone: its outcome must be its own.
    if (w->job->needs_fresh_worker || w->job->run_alone) continue;
    auto next = std::find_if(state_->queue.begin(), state_->queue.end(), [](const Pending& p) {
      return !p.needs_fresh_worker && !p.run_alone;
    });
    if (next == state_->queue.end()) break;
    w->ahead = std::move(*next);
    state_->queue.erase(next);
    ++state_->counters.queued_ahead;
    DoSend(w);
  }
  UpdateStats();
}

// Sends the request of w->ahead when set, else of w->job.
void WorkerPool::DoSend(const std::shared_ptr<Worker>& w) {
  const bool ahead = w->ahead.has_value();
  std::optional<Pending>& slot = ahead ? w->ahead : w->job;
  Pending& p = *slot;
  ++p.attempts;
  ++w->jobs_taken;
  if (!p.shared && p.body->size() >= options_.shared_body_threshold) {
    if (auto shared = SharedBody::Create(*p.body)) {
      p.shared = std::move(shared.value());
      p.body = std::make_shared<const std::string>();  // the memfd holds the bytes now
    } else {
      Log()->warn("{}: sending the body through the socket: {}", p.job.label,
                  shared.error().message);
    }
  }
  const std::string& meta = p.job.meta;
  const size_t body_size = p.shared ? p.shared->size() : p.body->size();
  if (meta.size() + uint64_t{body_size} > options_.max_frame) {
    Pending failed = std::move(*slot);
    slot.reset();
    ++state_->counters.jobs_failed;
    JobOutcome out;
    out.failure = Error::Permanent("the document of " + std::to_string(body_size) +
                                   " bytes exceeds the worker frame cap of " +
                                   std::to_string(options_.max_frame));
    out.attempts = failed.attempts;
    Finish(std::move(failed), std::move(out));
    return;
  }
  const uint64_t request_id = state_->next_request_id++;
  (ahead ? w->ahead_request_id : w->request_id) = request_id;
  // A body for the region goes into the slot the running job does not use (with nothing
  // running, no request is outstanding and slot 0 is free).
  static_assert(kBodyRegionSlots == 2, "one slot for the running job, one for the next");
  int region_slot = -1;
  if (!p.shared && w->region && !p.body->empty() && p.body->size() <= w->region->slot_size()) {
    region_slot = ahead && w->job_slot == 0 ? 1 : 0;
    assert(!ahead || region_slot != w->job_slot);
    w->region->Write(region_slot, *p.body);
    ++state_->counters.region_bodies;
  }
  (ahead ? w->ahead_slot : w->job_slot) = region_slot;
  FrameHeader header;
  header.type = FrameType::kRequest;
  header.request_id = request_id;
  header.meta_length = static_cast<uint32_t>(meta.size());
  header.body_length = static_cast<uint32_t>(body_size);
  header.flags = p.shared ? kFrameBodyInFd : region_slot >= 0 ? kFrameBodyInRegion : 0;
  header.region_slot = region_slot >= 0 ? static_cast<uint32_t>(region_slot) : 0;
  w->out = EncodeHeader(header) + meta;
  w->writing = true;

  if (!ahead) StartJob(w);
  if (p.shared) {
    ++state_->counters.shared_bodies;
    DoSendWithFd(w);
  } else {
    DoWrite(w, 0);
  }
}

// w->job starts running in the worker: its deadline, and the read of its reply.
void WorkerPool::StartJob(const std::shared_ptr<Worker>& w) {
  w->deadline.expires_after(options_.job_timeout);
  // The request id tells a late handler of an earlier job (its reply arrived as the timer fired)
  // from this job's.
  w->deadline.async_wait([this, w, id = w->request_id](const boost::system::error_code& ec) {
    if (ec || !w->alive || w->closing || !w->job || w->request_id != id) return;
    LoseWorker(w, FailureCause::kTimeout,
               "timed out after " + std::to_string(options_.job_timeout.count()) + " ms",
               std::nullopt);
  });
  DoReadHeader(w);
}

// The memfd travels with the first bytes of the frame (SCM_RIGHTS), which Asio cannot send: one
// non-blocking sendmsg on the native socket, waiting for writability if the buffer is full.
void WorkerPool::DoSendWithFd(const std::shared_ptr<Worker>& w) {
  if (!w->alive || w->closing || !w->job) return;
  const Pending& p = w->ahead ? *w->ahead : *w->job;
  const ssize_t n = SendWithFd(w->socket.native_handle(), w->out.data(), w->out.size(),
                               p.shared->fd(), /*nonblocking=*/true);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    w->socket.async_wait(asio::socket_base::wait_write,
                         [this, w](const boost::system::error_code& ec) {
                           if (!w->alive) return;
                           if (ec) return OnConnectionLost(w);
                           DoSendWithFd(w);
                         });
    return;
  }
  if (n < 0) return OnConnectionLost(w);
  DoWrite(w, static_cast<size_t>(n));
}

// Writes the rest of the request from `offset` of w->out, then the inline body (if any). The
// handler holds the body, so a worker lost mid-write cannot leave the write a dangling buffer.
void WorkerPool::DoWrite(const std::shared_ptr<Worker>& w, size_t offset) {
  static const auto kNoBody = std::make_shared<const std::string>();
  const bool in_region = (w->ahead ? w->ahead_slot : w->job_slot) >= 0;
  auto body = in_region ? kNoBody : (w->ahead ? *w->ahead : *w->job).body;
  std::array<asio::const_buffer, 2> buffers{asio::buffer(w->out) + offset, asio::buffer(*body)};
  asio::async_write(w->socket, buffers,
                    [this, w, body](const boost::system::error_code& ec, size_t) {
                      w->writing = false;
                      w->out.clear();
                      w->out.shrink_to_fit();
                      if (ec && w->alive) return OnConnectionLost(w);
                      // Free to write again: a job may wait to be queued ahead.
                      if (w->alive && !w->closing && !state_->queue.empty()) Dispatch();
                    });
}

void WorkerPool::DoReadHeader(const std::shared_ptr<Worker>& w) {
  asio::async_read(w->socket, asio::buffer(w->header),
                   [this, w](const boost::system::error_code& ec, size_t) {
                     if (!w->alive || w->closing) return;
                     if (ec) return OnConnectionLost(w);
                     OnHeader(w);
                   });
}

void WorkerPool::OnHeader(const std::shared_ptr<Worker>& w) {
  auto header =
      DecodeHeader(std::string_view(w->header.data(), w->header.size()), options_.max_frame);
  std::string problem;
  if (!header) {
    problem = header.error().message;
  } else if (header->type != FrameType::kReply) {
    problem = "a request frame";
  } else if (header->request_id != w->request_id) {
    problem = "request id " + std::to_string(header->request_id) + " instead of " +
              std::to_string(w->request_id);
  } else if (header->body_in_fd()) {
    problem = "a body descriptor, which replies may not carry";
  }  // (DecodeHeader refuses replies with a body in the region)
  if (!problem.empty()) {
    return LoseWorker(w, FailureCause::kProtocol, "sent a corrupt reply: " + problem, std::nullopt);
  }
  w->decoded = *header;
  w->payload.resize(header->PayloadSize());
  asio::async_read(w->socket, asio::buffer(w->payload),
                   [this, w](const boost::system::error_code& ec, size_t) {
                     if (!w->alive || w->closing) return;
                     if (ec) return OnConnectionLost(w);
                     OnPayload(w);
                   });
}

void WorkerPool::OnPayload(const std::shared_ptr<Worker>& w) {
  JobOutcome outcome;
  outcome.reply.emplace();
  if (!ParseJson(std::string_view(w->payload).substr(0, w->decoded.meta_length), *outcome.reply) ||
      !outcome.reply->is_object()) {
    return LoseWorker(w, FailureCause::kProtocol, "sent a reply that is not a JSON object",
                      std::nullopt);
  }
  w->deadline.cancel();
  if (!w->job || (w->writing && !w->ahead)) {
    // Replying before the whole request was read means the worker is not running our loop.
    return LoseWorker(w, FailureCause::kProtocol, "replied before reading its request",
                      std::nullopt);
  }
  outcome.body = w->payload.substr(w->decoded.meta_length);
  w->payload.clear();
  // A reply's buffer is kept for the next one unless it is large: allocating ~10 KiB afresh
  // for every reply made glibc consolidate its fast bins each time (a fifth of this thread's
  // time with two workers, bench/README.md, extract).
  if (w->payload.capacity() > kKeptPayloadBuffer) w->payload.shrink_to_fit();
  Pending p = std::move(*w->job);
  w->job.reset();
  w->job_slot = -1;  // the worker released its request before replying
  if (w->ahead) {
    // The worker reads the request queued ahead next: it is running now.
    w->job = std::move(w->ahead);
    w->ahead.reset();
    w->request_id = w->ahead_request_id;
    w->job_slot = std::exchange(w->ahead_slot, -1);
    StartJob(w);
  }
  outcome.attempts = p.attempts;
  outcome.losses = std::move(p.losses);
  ++state_->counters.jobs_completed;
  // A completed job proves workers can live again: the crash-loop brake starts over.
  state_->respawn_backoff = std::chrono::milliseconds(0);
  UpdateStats();  // before the callback, so its caller sees the job counted
  Finish(std::move(p), std::move(outcome));
  Dispatch();
}

// The connection dropped (or a read/write failed). The worker is most likely dying: give it a
// moment to exit so that its real exit status (signal, out of memory) is what gets reported.
void WorkerPool::OnConnectionLost(const std::shared_ptr<Worker>& w) {
  if (!w->alive || w->closing) return;
  w->closing = true;
  w->deadline.cancel();
  int status = 0;
  if (::waitpid(w->pid, &status, WNOHANG) == w->pid) {
    return LoseWorker(w, std::nullopt, {}, status);
  }
  w->grace.expires_after(options_.exit_grace);
  w->grace.async_wait([this, w](const boost::system::error_code& ec) {
    if (ec || !w->alive) return;
    LoseWorker(w, FailureCause::kProtocol, "closed its connection without exiting", std::nullopt);
  });
  UpdateStats();
}

void WorkerPool::OnChildSignal() {
  if (state_->stopped) return;
  for (const auto& w : std::vector<std::shared_ptr<Worker>>(state_->workers)) {
    if (!w->alive) continue;
    int status = 0;
    const pid_t r = ::waitpid(w->pid, &status, WNOHANG);
    if (r == w->pid) LoseWorker(w, std::nullopt, {}, status);
  }
  state_->child_signals.async_wait([this](const boost::system::error_code& ec, int) {
    if (!ec) OnChildSignal();
  });
}

void WorkerPool::LoseWorker(const std::shared_ptr<Worker>& w, std::optional<FailureCause> cause,
                            std::string description, std::optional<int> status) {
  if (!w->alive) return;
  w->alive = false;
  w->deadline.cancel();
  w->grace.cancel();
  boost::system::error_code ignored;
  w->socket.close(ignored);
  w->region.reset();
  bool killed_by_pool = false;
  if (!status) {
    // SIGKILL first so the blocking waitpid cannot hang on a worker that closed its socket
    // but keeps running; killing a process that already exited is harmless (it is a zombie
    // until reaped, so its pid cannot have been reused).
    killed_by_pool = ::kill(w->pid, SIGKILL) == 0;
    int st = 0;
    if (::waitpid(w->pid, &st, 0) == w->pid) status = st;
  }
  if (!cause) {
    const WorkerLoss loss = status ? ClassifyWaitStatus(*status, killed_by_pool, options_.limits)
                                   : WorkerLoss{FailureCause::kProtocol, "lost its connection"};
    cause = loss.cause;
    description = loss.description;
  }
  std::erase(state_->workers, w);
  if (w->ahead) {
    // Not charged (it may never have started), but it runs alone from now on (see run_alone).
    Pending p = std::move(*w->ahead);
    w->ahead.reset();
    --p.attempts;
    p.run_alone = true;
    state_->queue.push_front(std::move(p));
  }
  if (w->job) {
    ++state_->counters.losses[static_cast<size_t>(*cause)];
    Pending p = std::move(*w->job);
    w->job.reset();
    p.losses.push_back(*cause);
    Log()->warn("worker {} (pid {}) {} while running a job ({}), attempt {}", w->serial, w->pid,
                description, p.job.label, p.attempts);
    if (p.attempts < options_.max_attempts && !state_->stopped) {
      p.last_loss = description;
      p.needs_fresh_worker = true;
      ++state_->counters.jobs_retried;
      state_->queue.push_front(std::move(p));
    } else {
      std::string message = "worker " + description;
      if (p.attempts > 1) {
        message += p.last_loss == description ? " twice" : " (and before: " + p.last_loss + ")";
      }
      ++state_->counters.jobs_failed;
      UpdateStats();
      JobOutcome out;
      out.failure = Error::SourceBroken(message);
      out.cause = cause;
      out.attempts = p.attempts;
      out.losses = p.losses;
      Finish(std::move(p), std::move(out));
    }
  } else if (!state_->stopped) {
    ++state_->counters.idle_losses;
    Log()->warn("idle worker {} (pid {}) {}", w->serial, w->pid, description);
  }
  if (!state_->stopped) {
    ScheduleRespawn();
    Dispatch();  // a job put back may have an idle worker now, not only the replacement
  }
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
  const auto stopped = [](int attempts) {
    JobOutcome out;
    out.failure = Error::Retryable("pool stopped");
    out.attempts = attempts;
    return out;
  };
  auto queued = std::move(state_->queue);
  state_->queue.clear();
  for (auto& p : queued) {
    const int attempts = p.attempts;
    ++state_->counters.jobs_failed;
    Finish(std::move(p), stopped(attempts));
  }
  auto workers = std::move(state_->workers);
  state_->workers.clear();
  for (auto& w : workers) {
    w->alive = false;
    w->deadline.cancel();
    w->grace.cancel();
    w->socket.close(ignored);  // an idle worker sees end of stream and exits
    // A busy one would only notice after its job: its result is no longer wanted.
    if (w->job) ::kill(w->pid, SIGKILL);
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
    for (auto* slot : {&w->job, &w->ahead}) {
      if (!*slot) continue;
      Pending p = std::move(**slot);
      slot->reset();
      const int attempts = p.attempts;
      ++state_->counters.jobs_failed;
      Finish(std::move(p), stopped(attempts));
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
  for (const auto& w : state_->workers) s.queued += w->alive && w->ahead ? 1 : 0;
  s.brake_active = state_->respawn_backoff.count() > 0;
  s.respawn_delay_ms = state_->respawn_backoff.count();
  std::lock_guard lock(stats_mu_);
  stats_ = s;
}

PoolStats WorkerPool::Stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

}  // namespace tributary::merge::pool
