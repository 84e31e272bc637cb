#include "service/app.hpp"

#include <boost/asio/post.hpp>
#include <cstdio>

#include "common/log.hpp"
#include "config/loader.hpp"
#include "merge/pool/worker_process.hpp"
#include "merge/worker/test_hooks.hpp"
#include "service/api/config_diff.hpp"
#include "service/api/handlers.hpp"
#include "service/api/openapi.hpp"
#include "service/component_options.hpp"
#include "service/daemon_metrics.hpp"
#include "service/extraction_guard.hpp"
#include "service/extraction_metrics.hpp"
#include "service/fetch_metrics.hpp"
#include "service/fetch_options.hpp"
#include "service/preview.hpp"

namespace tributary::service {

namespace asio = boost::asio;

namespace {
// How often freed heap goes back to the system (memory_trimmer.hpp).
constexpr std::chrono::seconds kTrimEvery{30};
}  // namespace

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
  if (merge::worker::kTestHooksEnabled) {
    Logger("pool")->warn(
        "built with test hooks: documents with TRIBUTARY-TEST- markers make "
        "workers misbehave on purpose");
  }
  if (Status s = paused_.Load(*store_); !s) return s;  // a paused source stays paused
  extraction_ = std::make_unique<ExtractionGuard>(*pool_, writer_->io(), *store_);
  if (auto loaded = extraction_->Load(); !loaded) return loaded.error();
  // Retries, robots denials and circuit states reach /metrics as the fetch engine sees them.
  fetcher_ = std::make_unique<fetchers::Fetcher>(fetchers::FetcherOptions{
      cfg->fetch.io_threads, std::make_shared<FetchMetrics>(metrics::DefaultRegistry())});

  PipelineContext ctx{pipeline_->io(), writer_->io(), *store_,
                      *fetcher_,       *pool_,        [this] { return config(); }};
  ctx.extraction = extraction_.get();
  ctx.health = &health_;
  ctx.fetch_state = &fetch_state_;
  ctx.ingest = [this](std::shared_ptr<const config::Config> used, storage::FetchLog log,
                      std::optional<merge::SourceSnapshot> snapshot, std::function<void()> done) {
    // The source pipeline recorded the run's fetch state first: its group is the run's.
    RecordFetchMetrics(log, fetch_state_.GroupOf(log.source_id), snapshot ? &*snapshot : nullptr);
    views_->Ingest(std::move(used), std::move(log), std::move(snapshot), std::move(done));
  };
  views_ = std::make_unique<ViewPipeline>(ctx);
  views_->LoadStored(*cfg);
  pruner_ = std::make_unique<HistoryPruner>(pipeline_->io(), writer_->io(), *store_,
                                            [this] { return config(); });
  pruner_->Start();
  trimmer_ = std::make_unique<MemoryTrimmer>(pipeline_->io(), kTrimEvery);
  trimmer_->Start();
  sources_ = std::make_unique<SourcePipeline>(
      ctx, [this](const std::string& id, const std::shared_ptr<const config::Config>&,
                  std::optional<merge::SourceSnapshot>) {
        auto completion = fetch_state_.CompletionOf(id);
        // Fetched again soon (the scheduler's store retry): the store error holds /readyz at
        // 503 until a commit of the source succeeds.
        completion.store_failed = views_->StoreError(id).has_value();
        scheduler_->Completed(id, completion);
      });
  scheduler_ = std::make_unique<scheduler::Scheduler>(
      pipeline_->io(),
      [this](const std::string& id) {
        if (paused_.Contains(id)) {
          // Paused (POST /api/v1/sources/{id}/pause): the slot passes without a fetch.
          asio::post(pipeline_->io(), [this, id] { scheduler_->Completed(id); });
          return;
        }
        sources_->Run(id);
      },
      cfg->fetch.policy.startup_spread);

  api::ApiContext api_ctx;
  api_ctx.config = [this] { return config(); };
  api_ctx.store = store_.get();
  api_ctx.workers_ready = [this] { return pool_->Stats().processes > 0; };
  api_ctx.runtime_status = [this] { return RuntimeStatus(); };
  api_ctx.source_status = [this](const std::string& id) {
    nlohmann::json status{{"extraction", extraction_->SourceJson(id)},
                          {"health", health_.SourceJson(id)},
                          {"paused", paused_.Contains(id)},
                          {"paused_since", nullptr}};
    if (auto since = paused_.Since(id)) status["paused_since"] = FormatRfc3339(*since);
    if (auto error = views_->StoreError(id)) {
      status["store_error"] = *error;  // its latest results could not be committed
    }
    // Why the source is due when it is, its last fetch, 304s, robots, its politeness group.
    const std::string group = fetch_state_.GroupOf(id);
    status["fetch"] = fetch_state_.Json(
        id, scheduler_->Find(id), group.empty() ? std::nullopt : fetcher_->GroupStateOf(group));
    for (const auto& s : scheduler_->Snapshot()) {
      if (s.id != id) continue;
      status["schedule"] = {{"next_due", FormatRfc3339(s.next_due)},
                            {"reason", s.reason},
                            {"in_flight", s.in_flight}};
    }
    return status;
  };
  feed_ = std::make_unique<api::ChangeFeed>(*store_);
  feed_->Start();
  store_->SetChangeListener([this](int64_t latest) { feed_->Publish(latest); });
  api_ctx.feed = feed_.get();
  api_ctx.refresh = [this](const std::string& id) { return scheduler_->Trigger(id); };
  api_ctx.set_paused = [this](const std::string& id, bool paused) {
    return paused_.Set(*store_, id, paused);
  };
  api_ctx.reload = [this] { return ReloadWithReport(); };
  api_ctx.preview = [this](const nlohmann::json& definition,
                           std::function<void(api::PreviewResult)> done) {
    RunPreview(*config(), definition, *fetcher_, *pool_, std::move(done));
  };
  api_ctx.openapi = api::OpenApiDocument();
  DaemonMetricInputs metric_inputs;
  metric_inputs.pool_stats = [this] { return pool_->Stats(); };
  metric_inputs.db_path = cfg->data_dir + "/tributary.db";
  metric_inputs.store = store_.get();
  metric_inputs.view_ids = [this] {
    std::vector<std::string> ids;
    for (const auto& v : config()->views) ids.push_back(v.id);
    return ids;
  };
  metrics_collector_ = AddDaemonCollector(metrics::DefaultRegistry(), std::move(metric_inputs));
  extraction_collector_ = AddExtractionCollector(
      metrics::DefaultRegistry(), [this] { return pool_->Stats(); }, *extraction_);
  api::ServerOptions server = api::MakeServerOptions(*cfg);
  // The sources are scheduled and the webhooks set up before the API listens: a client told
  // that it listens may refresh a source at once (it was "unknown" until the scheduler had its
  // sources), or reload the configuration (which these lines would then have undone).
  webhooks_ = std::make_unique<api::WebhookDispatcher>(*store_, *feed_, *fetcher_);
  webhooks_->Update(*cfg);
  scheduler_->SetSources(cfg->sources, cfg->fetch.policy);
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
  // Views whose sources were stored by an earlier run are served at once.
  asio::post(pipeline_->io(), [this, cfg] { views_->MergeAll(*cfg); });
  return Status::Ok();
}

std::vector<std::string> App::Reload() {
  std::lock_guard lock(reload_mu_);
  return LoadAndApply();
}

std::vector<std::string> App::LoadAndApply() {
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

nlohmann::json App::ReloadWithReport() {
  std::lock_guard lock(reload_mu_);
  const auto before = config();
  auto errors = LoadAndApply();
  if (!errors.empty()) return {{"applied", false}, {"errors", errors}};
  return {{"applied", true}, {"changes", api::DescribeConfigChanges(*before, *config())}};
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
  if (webhooks_) webhooks_->Update(*next);
  asio::post(pipeline_->io(), [this, next] { views_->MergeAll(*next); });
}

nlohmann::json App::RuntimeStatus() const {
  nlohmann::json status = {{"workers", merge::pool::ToJson(pool_->Stats())}};
  // Sources whose latest results could not be stored (disk full, I/O error): /readyz.
  status["store_errors"] =
      views_ ? nlohmann::json(views_->StoreErrors()) : nlohmann::json::object();
  return status;
}

void App::Stop() {
  if (!pipeline_ || stop_called_) return;
  stop_called_ = true;
  Logger("main")->info("stopping");
  asio::post(pipeline_->io(), [this] {
    if (sources_) sources_->SetStopping();
    if (views_) views_->SetStopping();
  });
  if (pruner_) pruner_->Stop();
  if (trimmer_) trimmer_->Stop();
  pipeline_->Drain();
  if (scheduler_) scheduler_->Stop();
  if (api_) api_->Stop();
  if (webhooks_) webhooks_->Stop();
  if (feed_) feed_->Shutdown();  // drops waiting requests while the API's io_context exists
  if (metrics_collector_ != 0) metrics::DefaultRegistry().RemoveCollector(metrics_collector_);
  if (extraction_collector_ != 0) {
    metrics::DefaultRegistry().RemoveCollector(extraction_collector_);
  }
  if (fetcher_) fetcher_->Stop();  // in-flight fetches complete as "cancelled"
  if (pool_) pool_->Stop();        // queued and running jobs fail as "pool stopped"
  pipeline_->Drain();              // the last results reach the writer
  writer_->Drain();                // and are written
  pipeline_->Stop();
  writer_->Stop();
  pool_thread_->Stop();
  scheduler_.reset();
  api_.reset();
  webhooks_.reset();  // before the fetcher and the feed it uses
  feed_.reset();
  sources_.reset();
  views_.reset();
  pruner_.reset();
  trimmer_.reset();
  fetcher_.reset();
  extraction_.reset();
  pool_.reset();
  store_.reset();  // closes the database cleanly (WAL checkpoint)
  Logger("main")->info("stopped");
}

}  // namespace tributary::service
