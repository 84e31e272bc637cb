#pragma once
// The pool of worker processes that does all parsing, extraction and merging, so a document
// that crashes, hangs or bloats a parser costs one worker, never the daemon.
//
// Contract: Submit() queues a job; `done` is called exactly once, on the pool's io_context
// thread, with the worker's reply or with a failure. A job whose worker died or overran
// job_timeout is retried once on a fresh worker; a second loss fails the job with the cause
// ("worker killed by signal 11 (Segmentation fault) twice"). Dead workers are replaced, with a
// crash-loop brake (respawns are delayed with backoff when they happen too often).
// Thread safety: Start, Submit, Stop and Stats may be called from any thread. All other state
// lives on the io_context given at construction, which must run on exactly one thread.

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "merge/pool/frame.hpp"

namespace tributary::merge::pool {

struct PoolOptions {
  std::string worker_exe;  // usually SelfExecutablePath()
  std::vector<std::string> worker_args{"worker"};
  int processes = 2;
  std::chrono::milliseconds job_timeout{10000};
  uint64_t max_frame = kDefaultMaxFrame;
  int max_attempts = 2;  // the first try and one retry on a fresh worker
};

struct Job {
  std::string label;  // for logs, e.g. "source=books"
  nlohmann::json meta;
  std::string body;
};

struct JobOutcome {
  // Set when a worker replied. The reply itself may report a job error ({"ok": false, ...}).
  std::optional<nlohmann::json> reply;
  std::string body;
  // Set when no worker could complete the job (lost twice, pool stopped, ...).
  std::optional<Error> failure;
  int attempts = 0;
};

struct PoolStats {
  int processes = 0;  // alive workers
  int busy = 0;
  size_t queued = 0;
  uint64_t jobs_completed = 0;
  uint64_t jobs_failed = 0;  // failed after every attempt
  uint64_t worker_crashes = 0;
  uint64_t worker_timeouts = 0;
  uint64_t respawns = 0;
};

class WorkerPool {
 public:
  using Callback = std::function<void(JobOutcome)>;

  WorkerPool(boost::asio::io_context& io, PoolOptions options);
  ~WorkerPool();  // Requires Stop() to have completed (or Start never called).
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Start();
  void Submit(Job job, Callback done);
  // Fails queued and running jobs with "pool stopped", closes the sockets (workers exit on EOF),
  // and reaps every worker (SIGKILL after a short grace). Blocks until done; idempotent. The
  // io_context must still be running (or Stop is called on its thread).
  void Stop();
  PoolStats Stats() const;

 private:
  struct Worker;
  struct Pending;

  void DoStart();
  void SpawnOne();
  void ScheduleRespawn();
  void Dispatch();
  void DoSend(const std::shared_ptr<Worker>& w);
  void DoReadHeader(const std::shared_ptr<Worker>& w);
  void OnHeader(const std::shared_ptr<Worker>& w);
  void OnPayload(const std::shared_ptr<Worker>& w);
  void OnChildSignal();
  void LoseWorker(const std::shared_ptr<Worker>& w, std::string cause, std::optional<int> status);
  void Finish(Pending pending, JobOutcome outcome);
  void DoStop();
  void UpdateStats();

  boost::asio::io_context& io_;
  const PoolOptions options_;

  // Owned by the io_context thread.
  struct State;
  std::unique_ptr<State> state_;

  mutable std::mutex stats_mu_;
  PoolStats stats_;  // Guarded by stats_mu_ (a copy published by the io thread).
};

}  // namespace tributary::merge::pool
