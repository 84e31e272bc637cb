#include "service/source_pipeline.hpp"

#include <boost/asio/post.hpp>

#include "common/log.hpp"
#include "merge/worker/jobs.hpp"
#include "service/component_options.hpp"
#include "service/scheduler/fetch_state.hpp"

namespace tributary::service {

namespace asio = boost::asio;

struct SourcePipeline::RunState {
  std::shared_ptr<const config::Config> config;
  const config::SourceConfig* source = nullptr;  // points into config
  fetchers::FetchResult result;
};

SourcePipeline::SourcePipeline(PipelineContext context, DoneCallback done)
    : ctx_(std::move(context)), done_(std::move(done)) {}

void SourcePipeline::Run(const std::string& source_id) {
  auto run = std::make_shared<RunState>();
  run->config = ctx_.config();
  run->source = run->config->FindSource(source_id);
  if (run->source == nullptr || stopping_) {
    done_(source_id, run->config, std::nullopt);
    return;
  }
  Logger("fetch")->debug("source={} fetching {}", source_id, run->source->url);
  ctx_.fetcher.Fetch(
      MakeFetchRequest(*run->config, *run->source), [this, run](fetchers::FetchResult result) {
        // On a fetch I/O thread: hand over at once, never parse here.
        asio::post(ctx_.pipeline_io, [this, run, result = std::move(result)]() mutable {
          OnFetched(run, std::move(result));
        });
      });
}

void SourcePipeline::OnFetched(std::shared_ptr<RunState> run, fetchers::FetchResult result) {
  run->result = std::move(result);
  const auto& r = run->result;
  if (r.error) {
    Logger("fetch")->warn("source={} fetch failed: {}", run->source->id, r.error->message);
    Store(run, MakeFetchLog(r, std::nullopt, &*r.error), std::nullopt);
    return;
  }
  merge::pool::Job extract{
      "source=" + run->source->id,
      merge::worker::MakeExtractRequest(*run->source, r.content_type, r.final_url), r.body};
  ctx_.pool.Submit(std::move(extract), [this, run](merge::pool::JobOutcome outcome) {
    asio::post(ctx_.pipeline_io, [this, run, outcome = std::move(outcome)]() mutable {
      OnExtracted(run, std::move(outcome));
    });
  });
}

void SourcePipeline::OnExtracted(std::shared_ptr<RunState> run, merge::pool::JobOutcome outcome) {
  const auto& id = run->source->id;
  Result<merge::worker::ExtractReply> extracted =
      outcome.failure ? Result<merge::worker::ExtractReply>(*outcome.failure)
                      : merge::worker::ParseExtractReply(*outcome.reply);
  if (!extracted) {
    Logger("pool")->warn("source={} extraction failed: {}", id, extracted.error().message);
    Store(run, MakeFetchLog(run->result, std::nullopt, &extracted.error()), std::nullopt);
    return;
  }
  merge::SourceSnapshot snapshot{id, run->result.started, std::move(extracted->records)};
  Logger("fetch")->info("source={} fetched {} bytes in {} ms: {} records", id, run->result.bytes,
                        run->result.duration.count(), snapshot.records.size());
  auto log = MakeFetchLog(run->result, snapshot.records.size(), nullptr);
  Store(run, std::move(log), std::move(snapshot));
}

// Writes the outcome on the writer thread, then reports back on the pipeline thread.
void SourcePipeline::Store(std::shared_ptr<RunState> run, storage::FetchLog log,
                           std::optional<merge::SourceSnapshot> snapshot) {
  if (ctx_.fetch_state != nullptr) {
    using Use = scheduler::FetchStateRegistry::Use;
    ctx_.fetch_state->Record(run->source->id, run->result,
                             log.error.empty() ? Use::kExtracted : Use::kFailed);
  }
  asio::post(ctx_.writer_io,
             [this, run, log = std::move(log), snapshot = std::move(snapshot)]() mutable {
               const Status stored = ctx_.store.CommitFetch(log, snapshot ? &*snapshot : nullptr);
               if (!stored) {
                 Logger("store")->error("source={} cannot store the fetch: {}", log.source_id,
                                        stored.error().message);
                 snapshot.reset();
               }
               asio::post(ctx_.pipeline_io, [this, run, snapshot = std::move(snapshot)]() mutable {
                 done_(run->source->id, run->config, std::move(snapshot));
               });
             });
}

}  // namespace tributary::service
