#pragma once
// The daemon: owns every component and the threads they run on, wires the pipeline
//   scheduler -> fetchers -> worker pool (extract) -> storage -> worker pool (merge) -> storage
// and shuts it down in the reverse order. Decides nothing about fetching, parsing or merging
// itself; it only moves results between the components.
// Thread safety: Start, Reload and Stop are called from the main thread; everything else runs
// on the component threads (see the members).

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"
#include "fetchers/fetcher.hpp"
#include "merge/pool/worker_pool.hpp"
#include "merge/record.hpp"
#include "service/api/server.hpp"
#include "service/scheduler/scheduler.hpp"
#include "service/storage/store.hpp"

namespace tributary::service {

// A thread running an io_context until Stop; the building block of the daemon's threads.
class IoThread {
 public:
  explicit IoThread(std::string name);
  ~IoThread();
  boost::asio::io_context& io() { return io_; }
  void Stop();   // lets queued handlers be dropped, joins
  void Drain();  // waits until everything posted so far has run

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

class App {
 public:
  App(std::shared_ptr<const config::Config> config, std::string config_path);
  ~App();

  // Opens the store, starts workers, fetchers, scheduler and API. Prints the API address.
  Status Start();
  // Loads the configuration file again; a broken file is rejected with its errors logged and
  // the running configuration is kept. Returns the errors (empty on success).
  std::vector<std::string> Reload();
  // Stops scheduling, cancels in-flight fetches and jobs, closes the store cleanly.
  void Stop();

  std::shared_ptr<const config::Config> config() const;

 private:
  struct FetchJob;
  void OnDue(const std::string& source_id);
  void OnFetched(std::shared_ptr<FetchJob> job, fetchers::FetchResult result);
  void OnExtracted(std::shared_ptr<FetchJob> job, merge::pool::JobOutcome outcome);
  void Store(std::shared_ptr<FetchJob> job, storage::FetchLog log,
             std::optional<merge::SourceSnapshot> snapshot);
  void RequestMerge(const std::string& view_id);
  void OnMerged(const std::string& view_id, merge::pool::JobOutcome outcome);
  void ApplyConfig(std::shared_ptr<const config::Config> config);
  nlohmann::json RuntimeStatus() const;

  const std::string config_path_;
  mutable std::mutex config_mu_;
  std::shared_ptr<const config::Config> config_;  // Guarded by config_mu_.

  std::unique_ptr<storage::Store> store_;
  // Threads: the pipeline (scheduler + coordination), the pool, the single store writer.
  std::unique_ptr<IoThread> pipeline_;
  std::unique_ptr<IoThread> pool_thread_;
  std::unique_ptr<IoThread> writer_;
  std::unique_ptr<merge::pool::WorkerPool> pool_;
  std::unique_ptr<fetchers::Fetcher> fetcher_;
  std::unique_ptr<scheduler::Scheduler> scheduler_;
  std::unique_ptr<api::ApiServer> api_;

  // Owned by the pipeline thread.
  std::map<std::string, merge::SourceSnapshot> snapshots_;
  std::set<std::string> merging_;
  std::set<std::string> merge_again_;
  bool stopping_ = false;

  bool stop_called_ = false;  // main thread only
};

}  // namespace tributary::service
