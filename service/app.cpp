#include "service/app.hpp"

#include <boost/asio/post.hpp>
#include <cstdio>
#include <future>
#include <thread>

#include "common/log.hpp"
#include "config/loader.hpp"
#include "merge/pool/worker_process.hpp"
#include "merge/worker/jobs.hpp"
#include "service/api/handlers.hpp"
#include "service/component_options.hpp"

namespace tributary::service {

namespace asio = boost::asio;

IoThread::IoThread(std::string name)
    : work_(asio::make_work_guard(io_)), thread_([this, name = std::move(name)] {
        try {
          io_.run();
        } catch (const std::exception& e) {
          Logger("main")->critical("thread {} stopped by an exception: {}", name, e.what());
          std::abort();
        }
      }) {}

IoThread::~IoThread() { Stop(); }

void IoThread::Stop() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void IoThread::Drain() {
  if (io_.stopped()) return;
  std::promise<void> done;
  auto f = done.get_future();
  asio::post(io_, [&done] { done.set_value(); });
  f.wait();
}

struct App::FetchJob {
  std::shared_ptr<const config::Config> config;
  const config::SourceConfig* source = nullptr;  // points into config
  fetchers::FetchResult result;
};

App::App(std::shared_ptr<const config::Config> config, std::string config_path)
    : config_path_(std::move(config_path)), config_(std::move(config)) {}

App::~App() { Stop(); }

std::shared_ptr<const config::Config> App::config() const {
  std::lock_guard lock(config_mu_);
  return config_;
}

Status App::Start() {
  const auto cfg = config();
  auto log = Logger("main");

  auto store = storage::OpenSqliteStore(cfg->data_dir);
  if (!store) return store.error();
  store_ = std::move(store.value());

  pipeline_ = std::make_unique<IoThread>("pipeline");
  pool_thread_ = std::make_unique<IoThread>("pool");
  writer_ = std::make_unique<IoThread>("store");

  pool_ = std::make_unique<merge::pool::WorkerPool>(
      pool_thread_->io(), MakePoolOptions(*cfg, merge::pool::SelfExecutablePath()));
  pool_->Start();

  fetcher_ = std::make_unique<fetchers::Fetcher>(fetchers::FetcherOptions{cfg->fetch.io_threads});

  // Records stored by earlier runs take part in merges until their sources are fetched again.
  for (const auto& s : cfg->sources) {
    auto snapshot = store_->LoadSnapshot(s.id);
    if (!snapshot) {
      log->warn("source={} cannot load stored records: {}", s.id, snapshot.error().message);
      continue;
    }
    if (!snapshot->records.empty()) snapshots_[s.id] = std::move(snapshot.value());
  }

  scheduler_ = std::make_unique<scheduler::Scheduler>(pipeline_->io(),
                                                      [this](const std::string& id) { OnDue(id); });

  api::ApiContext ctx;
  ctx.config = [this] { return config(); };
  ctx.store = store_.get();
  ctx.workers_ready = [this] { return pool_->Stats().processes > 0; };
  ctx.runtime_status = [this] { return RuntimeStatus(); };
  api::ServerOptions server;
  server.host = cfg->listen.host;
  server.port = cfg->listen.port;
  api_ = std::make_unique<api::ApiServer>(server, api::MakeApiRouter(std::move(ctx)));
  auto endpoint = api_->Start();
  if (!endpoint) return endpoint.error();

  const std::string host = endpoint->address().is_v6() ? "[" + endpoint->address().to_string() + "]"
                                                       : endpoint->address().to_string();
  std::printf("tributary: API listening on http://%s:%u\n", host.c_str(),
              static_cast<unsigned>(endpoint->port()));
  std::fflush(stdout);
  log->info("API listening on http://{}:{} ({} sources, {} views, {} workers)", host,
            endpoint->port(), cfg->sources.size(), cfg->views.size(),
            MakePoolOptions(*cfg, "").processes);

  scheduler_->SetSources(cfg->sources);
  // Views whose sources were stored by an earlier run are served at once.
  asio::post(pipeline_->io(), [this, cfg] {
    for (const auto& v : cfg->views) RequestMerge(v.id);
  });
  return Status::Ok();
}

void App::OnDue(const std::string& source_id) {
  auto job = std::make_shared<FetchJob>();
  job->config = config();
  job->source = job->config->FindSource(source_id);
  if (job->source == nullptr || stopping_) {
    scheduler_->Completed(source_id);
    return;
  }
  Logger("fetch")->debug("source={} fetching {}", source_id, job->source->url);
  fetcher_->Fetch(MakeFetchRequest(*job->config, *job->source),
                  [this, job](fetchers::FetchResult result) {
                    // On a fetch I/O thread: hand over at once.
                    asio::post(pipeline_->io(), [this, job, result = std::move(result)]() mutable {
                      OnFetched(job, std::move(result));
                    });
                  });
}

void App::OnFetched(std::shared_ptr<FetchJob> job, fetchers::FetchResult result) {
  job->result = std::move(result);
  const auto& r = job->result;
  if (r.error) {
    Logger("fetch")->warn("source={} fetch failed: {}", job->source->id, r.error->message);
    Store(job, MakeFetchLog(r, std::nullopt, &*r.error), std::nullopt);
    return;
  }
  merge::pool::Job extract{
      "source=" + job->source->id,
      merge::worker::MakeExtractRequest(*job->source, r.content_type, r.final_url), r.body};
  pool_->Submit(std::move(extract), [this, job](merge::pool::JobOutcome outcome) {
    asio::post(pipeline_->io(), [this, job, outcome = std::move(outcome)]() mutable {
      OnExtracted(job, std::move(outcome));
    });
  });
}

void App::OnExtracted(std::shared_ptr<FetchJob> job, merge::pool::JobOutcome outcome) {
  const auto& id = job->source->id;
  Result<merge::worker::ExtractReply> extracted =
      outcome.failure ? Result<merge::worker::ExtractReply>(*outcome.failure)
                      : merge::worker::ParseExtractReply(*outcome.reply);
  if (!extracted) {
    Logger("pool")->warn("source={} extraction failed: {}", id, extracted.error().message);
    Store(job, MakeFetchLog(job->result, std::nullopt, &extracted.error()), std::nullopt);
    return;
  }
  merge::SourceSnapshot snapshot{id, job->result.started, std::move(extracted->records)};
  Logger("fetch")->info("source={} fetched {} bytes in {} ms: {} records", id, job->result.bytes,
                        job->result.duration.count(), snapshot.records.size());
  auto log = MakeFetchLog(job->result, snapshot.records.size(), nullptr);
  Store(job, std::move(log), std::move(snapshot));
}

// Writes the outcome on the store thread, then (back on the pipeline) updates the snapshot
// cache, re-merges the views that use the source and tells the scheduler the fetch is done.
void App::Store(std::shared_ptr<FetchJob> job, storage::FetchLog log,
                std::optional<merge::SourceSnapshot> snapshot) {
  asio::post(writer_->io(),
             [this, job, log = std::move(log), snapshot = std::move(snapshot)]() mutable {
               const Status stored = store_->CommitFetch(log, snapshot ? &*snapshot : nullptr);
               if (!stored) {
                 Logger("store")->error("source={} cannot store the fetch: {}", log.source_id,
                                        stored.error().message);
               }
               asio::post(pipeline_->io(),
                          [this, job, ok = stored.ok(), snapshot = std::move(snapshot)]() mutable {
                            const auto& id = job->source->id;
                            if (ok && snapshot) {
                              snapshots_[id] = std::move(*snapshot);
                              for (const auto& v : job->config->views) {
                                for (const auto& ref : v.sources) {
                                  if (ref.id == id) RequestMerge(v.id);
                                }
                              }
                            }
                            scheduler_->Completed(id);
                          });
             });
}

// One merge per view at a time; a request during a merge runs once more afterwards, so the
// stored view always reflects the latest snapshots and merges never overwrite newer results.
void App::RequestMerge(const std::string& view_id) {
  if (stopping_) return;
  if (merging_.count(view_id)) {
    merge_again_.insert(view_id);
    return;
  }
  const auto cfg = config();
  const auto* view = cfg->FindView(view_id);
  if (view == nullptr) return;
  std::vector<merge::SourceSnapshot> inputs;
  for (const auto& ref : view->sources) {
    if (auto it = snapshots_.find(ref.id); it != snapshots_.end()) inputs.push_back(it->second);
  }
  if (inputs.empty()) return;
  merging_.insert(view_id);
  merge::pool::Job job{"view=" + view_id, merge::worker::MakeMergeRequest(*view, inputs), {}};
  pool_->Submit(std::move(job), [this, view_id](merge::pool::JobOutcome outcome) {
    asio::post(pipeline_->io(), [this, view_id, outcome = std::move(outcome)]() mutable {
      OnMerged(view_id, std::move(outcome));
    });
  });
}

void App::OnMerged(const std::string& view_id, merge::pool::JobOutcome outcome) {
  auto merged = outcome.failure ? Result<std::vector<merge::MergedRecord>>(*outcome.failure)
                                : merge::worker::ParseMergeReply(*outcome.reply);
  auto finish = [this, view_id] {
    merging_.erase(view_id);
    if (merge_again_.erase(view_id)) RequestMerge(view_id);
  };
  if (!merged) {
    Logger("merge")->error("view={} merge failed: {}", view_id, merged.error().message);
    finish();
    return;
  }
  asio::post(writer_->io(), [this, view_id, finish, records = std::move(merged.value())] {
    const Status stored = store_->ReplaceViewRecords(view_id, records);
    if (!stored) {
      Logger("store")->error("view={} cannot store merged records: {}", view_id,
                             stored.error().message);
    } else {
      Logger("merge")->debug("view={} merged {} records", view_id, records.size());
    }
    asio::post(pipeline_->io(), finish);
  });
}

std::vector<std::string> App::Reload() {
  auto loaded = config::LoadConfigFile(config_path_);
  std::vector<std::string> errors;
  for (const auto& e : loaded.errors) errors.push_back(e.ToString());
  if (!loaded.config) {
    for (const auto& e : errors) Logger("main")->error("reload rejected: {}", e);
    return errors;
  }
  auto next = std::make_shared<const config::Config>(std::move(*loaded.config));
  auto extract_errors = ValidateExtraction(*next);
  if (!extract_errors.empty()) {
    for (const auto& e : extract_errors) Logger("main")->error("reload rejected: {}", e);
    return extract_errors;
  }
  ApplyConfig(std::move(next));
  return {};
}

void App::ApplyConfig(std::shared_ptr<const config::Config> next) {
  {
    std::lock_guard lock(config_mu_);
    config_ = next;
  }
  Logger("main")->info("configuration reloaded: {} sources, {} views", next->sources.size(),
                       next->views.size());
  scheduler_->SetSources(next->sources);
  asio::post(pipeline_->io(), [this, next] {
    for (const auto& v : next->views) RequestMerge(v.id);
  });
}

nlohmann::json App::RuntimeStatus() const {
  const auto stats = pool_->Stats();
  return {{"workers",
           {{"processes", stats.processes},
            {"busy", stats.busy},
            {"queued", stats.queued},
            {"jobs_completed", stats.jobs_completed},
            {"jobs_failed", stats.jobs_failed},
            {"worker_crashes", stats.worker_crashes},
            {"worker_timeouts", stats.worker_timeouts}}}};
}

void App::Stop() {
  if (!pipeline_ || stop_called_) return;
  stop_called_ = true;
  Logger("main")->info("stopping");
  asio::post(pipeline_->io(), [this] { stopping_ = true; });
  pipeline_->Drain();
  if (scheduler_) scheduler_->Stop();
  if (api_) api_->Stop();
  if (fetcher_) fetcher_->Stop();  // in-flight fetches complete as "cancelled"
  if (pool_) pool_->Stop();        // queued and running jobs fail as "pool stopped"
  pipeline_->Drain();              // the last results reach the writer
  writer_->Drain();                // and are written
  pipeline_->Stop();
  writer_->Stop();
  pool_thread_->Stop();
  scheduler_.reset();
  api_.reset();
  fetcher_.reset();
  pool_.reset();
  store_.reset();  // closes the database cleanly (WAL checkpoint)
  Logger("main")->info("stopped");
}

}  // namespace tributary::service
