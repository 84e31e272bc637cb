#pragma once
// The daemon: owns every component and the threads they run on, wires
//   scheduler -> SourcePipeline (fetch, extract, store) -> ViewPipeline (merge, store) -> API
// and shuts them down in the reverse order. Decides nothing about fetching, parsing or merging.
// Thread safety: Start, Reload and Stop are called from the main thread; everything else runs
// on the component threads.

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"
#include "fetchers/fetcher.hpp"
#include "merge/pool/worker_pool.hpp"
#include "service/api/change_feed.hpp"
#include "service/api/server.hpp"
#include "service/api/webhook_dispatcher.hpp"
#include "service/extraction_guard.hpp"
#include "service/extraction_health.hpp"
#include "service/history_pruner.hpp"
#include "service/io_thread.hpp"
#include "service/memory_trimmer.hpp"
#include "service/paused_sources.hpp"
#include "service/scheduler/fetch_state.hpp"
#include "service/scheduler/scheduler.hpp"
#include "service/source_pipeline.hpp"
#include "service/storage/store.hpp"
#include "service/view_pipeline.hpp"

namespace tributary::service {

class App {
 public:
  App(std::shared_ptr<const config::Config> config, std::string config_path);
  ~App();

  // Opens the store, starts workers, fetchers, scheduler and API. Prints the API address.
  Status Start();
  // Loads the configuration file again; a broken file is rejected with its errors logged and
  // the running configuration is kept. Returns the errors (empty on success). SIGHUP and
  // POST /api/v1/admin/reload both come here: one reload at a time.
  std::vector<std::string> Reload();
  // Reload for the API: {"applied": true, "changes": …} or {"applied": false, "errors": […]}.
  nlohmann::json ReloadWithReport();
  // Stops scheduling, cancels in-flight fetches and jobs, closes the store cleanly.
  void Stop();

  std::shared_ptr<const config::Config> config() const;

 private:
  // Reload's work; the caller holds reload_mu_.
  std::vector<std::string> LoadAndApply();
  void ApplyConfig(std::shared_ptr<const config::Config> config);
  nlohmann::json RuntimeStatus() const;

  const std::string config_path_;
  mutable std::mutex config_mu_;
  std::shared_ptr<const config::Config> config_;  // Guarded by config_mu_.

  std::unique_ptr<storage::Store> store_;
  // Threads: the pipeline (scheduler and pipelines), the pool, the single store writer.
  std::unique_ptr<IoThread> pipeline_;
  std::unique_ptr<IoThread> pool_thread_;
  std::unique_ptr<IoThread> writer_;
  std::unique_ptr<merge::pool::WorkerPool> pool_;
  std::unique_ptr<ExtractionGuard> extraction_;  // quarantine and per-source extraction counts
  ExtractionHealth health_;  // record drops and fill ratios per source (thread-safe)
  scheduler::FetchStateRegistry fetch_state_;  // last fetch, 304s, hints per source (thread-safe)
  std::unique_ptr<fetchers::Fetcher> fetcher_;
  std::unique_ptr<SourcePipeline> sources_;
  std::unique_ptr<ViewPipeline> views_;
  std::unique_ptr<HistoryPruner> pruner_;   // history retention in the background
  std::unique_ptr<MemoryTrimmer> trimmer_;  // freed heap back to the system
  std::unique_ptr<scheduler::Scheduler> scheduler_;
  std::unique_ptr<api::ChangeFeed> feed_;  // long-poll, SSE (service/api/change_feed.hpp)
  std::unique_ptr<api::ApiServer> api_;
  std::unique_ptr<api::WebhookDispatcher> webhooks_;
  PausedSources paused_;  // thread-safe
  std::mutex reload_mu_;  // one reload at a time (SIGHUP or API)
  int metrics_collector_ = 0;
  int extraction_collector_ = 0;  // pool failure causes, brake, quarantines per source
  bool stop_called_ = false;      // main thread only
};

}  // namespace tributary::service
