#include "service/app.hpp"

#include <boost/asio/post.hpp>
#include <cstdio>

#include "common/log.hpp"
#include "config/loader.hpp"
#include "merge/pool/worker_process.hpp"
#include "service/api/handlers.hpp"
#include "service/component_options.hpp"
#include "service/fetch_options.hpp"

namespace tributary::service {

namespace asio = boost::asio;

App::App(std::shared_ptr<const config::Config> config, std::string config_path)
    : config_path_(std::move(config_path)), config_(std::move(config)) {}

App::~App() { Stop(); }

std::shared_ptr<const config::Config> App::config() const {
  std::lock_guard lock(config_mu_);
  return config_;
}

Status App::Start() {
  const auto cfg = config();
  auto store = storage::OpenSqliteStore(cfg->data_dir);
  if (!store) return store.error();
  store_ = std::move(store.value());

  pipeline_ = std::make_unique<IoThread>("pipeline");
  pool_thread_ = std::make_unique<IoThread>("pool");
  writer_ = std::make_unique<IoThread>("store");

  const auto pool_options = MakePoolOptions(*cfg, merge::pool::SelfExecutablePath());
  pool_ = std::make_unique<merge::pool::WorkerPool>(pool_thread_->io(), pool_options);
  pool_->Start();
  fetcher_ = std::make_unique<fetchers::Fetcher>(fetchers::FetcherOptions{cfg->fetch.io_threads});

  PipelineContext ctx{pipeline_->io(), writer_->io(), *store_,
                      *fetcher_,       *pool_,        [this] { return config(); }};
  ctx.health = &health_;
  ctx.fetch_state = &fetch_state_;
  views_ = std::make_unique<ViewPipeline>(ctx);
  views_->LoadStored(*cfg);
  sources_ = std::make_unique<SourcePipeline>(
      ctx, [this](const std::string& id, const std::shared_ptr<const config::Config>& used,
                  std::optional<merge::SourceSnapshot> snapshot) {
        if (snapshot) views_->OnSourceStored(*used, std::move(*snapshot));
        scheduler_->Completed(id, fetch_state_.CompletionOf(id));
      });
  scheduler_ = std::make_unique<scheduler::Scheduler>(
      pipeline_->io(), [this](const std::string& id) { sources_->Run(id); },
      cfg->fetch.policy.startup_spread);

  api::ApiContext api_ctx;
  api_ctx.config = [this] { return config(); };
  api_ctx.store = store_.get();
  api_ctx.workers_ready = [this] { return pool_->Stats().processes > 0; };
  api_ctx.runtime_status = [this] { return RuntimeStatus(); };
  api::ServerOptions server;
  server.host = cfg->listen.host;
  server.port = cfg->listen.port;
  api_ = std::make_unique<api::ApiServer>(server, api::MakeApiRouter(std::move(api_ctx)));
  auto endpoint = api_->Start();
  if (!endpoint) return endpoint.error();

  const std::string host = endpoint->address().is_v6() ? "[" + endpoint->address().to_string() + "]"
                                                       : endpoint->address().to_string();
  std::printf("tributary: API listening on http://%s:%u\n", host.c_str(),
              static_cast<unsigned>(endpoint->port()));
  std::fflush(stdout);
  Logger("main")->info("API listening on http://{}:{} ({} sources, {} views, {} workers)", host,
                       endpoint->port(), cfg->sources.size(), cfg->views.size(),
                       pool_options.processes);

  WarnAboutInsecureSources(*cfg);
  scheduler_->SetSources(cfg->sources, cfg->fetch.policy);
  // Views whose sources were stored by an earlier run are served at once.
  asio::post(pipeline_->io(), [this, cfg] { views_->MergeAll(*cfg); });
  return Status::Ok();
}

std::vector<std::string> App::Reload() {
  auto loaded = config::LoadConfigFile(config_path_);
  std::vector<std::string> errors;
  for (const auto& e : loaded.errors) errors.push_back(e.ToString());
  if (loaded.config) errors = ValidateExtraction(*loaded.config);
  if (!errors.empty()) {
    for (const auto& e : errors) Logger("main")->error("reload rejected: {}", e);
    return errors;
  }
  ApplyConfig(std::make_shared<const config::Config>(std::move(*loaded.config)));
  return {};
}

void App::ApplyConfig(std::shared_ptr<const config::Config> next) {
  {
    std::lock_guard lock(config_mu_);
    config_ = next;
  }
  Logger("main")->info("configuration reloaded: {} sources, {} views", next->sources.size(),
                       next->views.size());
  WarnAboutInsecureSources(*next);
  scheduler_->SetSources(next->sources, next->fetch.policy);
  asio::post(pipeline_->io(), [this, next] { views_->MergeAll(*next); });
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
  asio::post(pipeline_->io(), [this] {
    if (sources_) sources_->SetStopping();
    if (views_) views_->SetStopping();
  });
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
  sources_.reset();
  views_.reset();
  fetcher_.reset();
  pool_.reset();
  store_.reset();  // closes the database cleanly (WAL checkpoint)
  Logger("main")->info("stopped");
}

}  // namespace tributary::service
