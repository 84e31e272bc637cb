#pragma once
// The pool of worker processes that does all parsing, extraction and merging, so a document
// that crashes, hangs or bloats a parser costs one worker, never the daemon.
//
// Contract: Submit() queues a job; `done` is called exactly once, on the pool's io_context
// thread, with the worker's reply or with a failure. A job whose worker died, overran
// job_timeout or its CPU limit, ran out of memory or broke the protocol is retried once on a
// fresh worker; a second loss fails the job with the cause ("worker killed by signal 11
// (Segmentation fault) twice") and its FailureCause. Dead workers are replaced, with a
// crash-loop brake (respawns are delayed with backoff when they happen too often). Bodies of
// at least shared_body_threshold bytes are passed to the worker as a sealed memfd, smaller ones
// through a shared memory region each worker keeps.
// Thread safety: Start, Submit, Stop and Stats may be called from any thread. All other state
// lives on the io_context given at construction, which must run on exactly one thread.

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "merge/pool/frame.hpp"
#include "merge/pool/pool_stats.hpp"
#include "merge/pool/worker_limits.hpp"

namespace tributary::merge::pool {

struct PoolOptions {
  std::string worker_exe;                          // usually SelfExecutablePath()
  std::vector<std::string> worker_args{"worker"};  // WorkerLimitArgs(limits) are appended
  int processes = 2;
  std::chrono::milliseconds job_timeout{10000};
  uint64_t max_frame = kDefaultMaxFrame;
  int max_attempts = 2;  // the first try and one retry on a fresh worker
  WorkerLimits limits;   // applied by every worker to itself
  size_t shared_body_threshold = 256 * 1024;
  // Smaller bodies are written into the worker's BodyRegion (body_region.hpp) rather than
  // through its socket; false sends them through the socket (for comparison and tests).
  bool body_region = true;
  // After a worker's connection drops, how long to wait for it to exit by itself (so its real
  // exit status is known) before it is killed.
  std::chrono::milliseconds exit_grace{500};
  // While jobs wait, each busy worker gets the next request written ahead, so that it starts
  // that job as soon as it replies (not after the daemon has read the reply and written the
  // next request). A worker lost with a request queued ahead does not charge it (it goes back
  // to the queue), but as the worker may have started it already (right after writing the
  // reply before it), that job then runs alone; nothing is ever queued behind a retry either,
  // so the loss that can fail a job is always its own.
  bool queue_ahead = true;
};

struct Job {
  std::string label;  // for logs, e.g. "source=books"
  // The request's JSON text (valid JSON and UTF-8: the worker refuses anything else), sent as
  // it is: each dispatch would otherwise write a tree again, and an extract request is mostly
  // the source's definition, which the config keeps as text.
  std::string meta;
  std::string body;
};

struct JobOutcome {
  // Set when a worker replied. The reply itself may report a job error ({"ok": false, ...}).
  std::optional<nlohmann::json> reply;
  std::string body;
  // Set when no worker could complete the job (lost twice, pool stopped, ...).
  std::optional<Error> failure;
  // Set with `failure` when the job was lost with its workers (not when the pool stopped).
  std::optional<FailureCause> cause;
  int attempts = 0;
  // The cause of every lost attempt, also when a retry then succeeded.
  std::vector<FailureCause> losses;
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
  struct State;

  void DoStart();
  void SpawnOne();
  void ScheduleRespawn();
  void Dispatch();
  void DoSend(const std::shared_ptr<Worker>& w);
  void StartJob(const std::shared_ptr<Worker>& w);
  void DoSendWithFd(const std::shared_ptr<Worker>& w);
  void DoWrite(const std::shared_ptr<Worker>& w, size_t offset);
  void DoReadHeader(const std::shared_ptr<Worker>& w);
  void OnHeader(const std::shared_ptr<Worker>& w);
  void OnPayload(const std::shared_ptr<Worker>& w);
  void OnConnectionLost(const std::shared_ptr<Worker>& w);
  void OnChildSignal();
  // The worker must go: reaps it (killing it first unless `status` says it was reaped), then
  // retries or fails its job and replaces it. `loss` is the known cause, or nullopt to classify
  // the exit status.
  void LoseWorker(const std::shared_ptr<Worker>& w, std::optional<FailureCause> cause,
                  std::string description, std::optional<int> status);
  void Finish(Pending pending, JobOutcome outcome);
  void DoStop();
  void UpdateStats();

  boost::asio::io_context& io_;
  const PoolOptions options_;

  // Owned by the io_context thread.
  std::unique_ptr<State> state_;

  mutable std::mutex stats_mu_;
  PoolStats stats_;  // Guarded by stats_mu_ (a copy published by the io thread).
};

}  // namespace tributary::merge::pool
