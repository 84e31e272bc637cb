#include "service/source_pipeline.hpp"

#include <boost/asio/post.hpp>

#include "common/log.hpp"
#include "merge/worker/jobs.hpp"
#include "service/component_options.hpp"
#include "service/conditional_fetch.hpp"
#include "service/extraction_guard.hpp"
#include "service/extraction_health.hpp"
#include "service/page_run.hpp"
#include "service/scheduler/fetch_state.hpp"

namespace tributary::service {

namespace asio = boost::asio;

struct SourcePipeline::RunState {
  std::shared_ptr<const config::Config> config;
  const config::SourceConfig* source = nullptr;  // points into config
  fetchers::FetchResult result;  // of the latest page
  // Pagination: the pages of this run form one snapshot (page_run.hpp).
  std::unique_ptr<PageRun> pages;
  SystemTime started;       // when the first page was requested
  uint64_t bytes = 0;       // over all pages
  // Validators of the stored snapshot (single-page sources only; conditional_fetch.hpp).
  std::unique_ptr<ConditionalFetch> conditional;
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
  run->pages = std::make_unique<PageRun>(*run->source);
  run->started = std::chrono::system_clock::now();
  if (ConditionalFetch::Eligible(*run->source)) {
    // One indexed read per run: the store, not a cache, is the truth about what was extracted.
    const std::string& url = run->pages->first_url();
    auto stored = ctx_.store.LoadValidators(source_id, url);
    if (!stored) {
      Logger("store")->warn("source={} cannot read fetch validators: {}", source_id,
                            stored.error().message);
    }
    run->conditional = std::make_unique<ConditionalFetch>(
        *run->source, url, stored ? std::move(*stored) : std::nullopt);
  }
  FetchPage(run, run->pages->first_url());
}

// Each page is an ordinary fetch, so the fetch engine's politeness applies per page.
void SourcePipeline::FetchPage(std::shared_ptr<RunState> run, const std::string& url) {
  Logger("fetch")->debug("source={} fetching {}", run->source->id, url);
  auto request = MakeFetchRequest(*run->config, *run->source);
  request.url = url;
  if (run->conditional && run->pages->pages() == 0) run->conditional->AddHeaders(request);
  ctx_.fetcher.Fetch(std::move(request), [this, run](fetchers::FetchResult result) {
    // On a fetch I/O thread: hand over at once, never parse here.
    asio::post(ctx_.pipeline_io, [this, run, result = std::move(result)]() mutable {
      OnFetched(run, std::move(result));
    });
  });
}

void SourcePipeline::OnFetched(std::shared_ptr<RunState> run, fetchers::FetchResult result) {
  run->bytes += result.bytes;
  if (result.error && run->pages->pages() > 0 &&
      result.error->error_class == ErrorClass::kPermanent) {
    // A later page that is gone (the last "next" link of many sites leads to a 404) ends the
    // run with the pages so far (run->result stays the last good page); a transient failure
    // fails the whole run below.
    Logger("fetch")->warn("source={} page {} failed, ending pagination: {}", run->source->id,
                          run->pages->pages() + 1, result.error->message);
    FinishPages(run);
    return;
  }
  run->result = std::move(result);
  const auto& r = run->result;
  if (r.error) {
    Logger("fetch")->warn("source={} fetch failed: {}", run->source->id, r.error->message);
    Store(run, MakeFetchLog(r, std::nullopt, &*r.error), std::nullopt);
    return;
  }
  if (r.status == 304 && !(run->conditional && run->conditional->sent_conditional())) {
    const Error error = Error::Permanent("HTTP 304 Not Modified to a request without validators");
    Logger("fetch")->warn("source={} fetch failed: {}", run->source->id, error.message);
    Store(run, MakeFetchLog(r, std::nullopt, &error), std::nullopt);
    return;
  }
  if (run->conditional && run->pages->pages() == 0) {
    const auto verdict = run->conditional->Judge(r);
    if (verdict != ConditionalFetch::Verdict::kChanged) {
      SkipExtraction(run, verdict);
      return;
    }
  }
  merge::pool::Job extract{
      "source=" + run->source->id,
      merge::worker::MakeExtractRequest(*run->source, r.content_type, r.final_url), r.body};
  auto on_extracted = [this, run](merge::pool::JobOutcome outcome) {
    asio::post(ctx_.pipeline_io, [this, run, outcome = std::move(outcome)]() mutable {
      OnExtracted(run, std::move(outcome));
    });
  };
  if (ctx_.extraction != nullptr) {
    ctx_.extraction->Extract(run->source->id, run->source->definition, std::move(extract),
                             std::move(on_extracted));
  } else {
    ctx_.pool.Submit(std::move(extract), std::move(on_extracted));
  }
}

void SourcePipeline::OnExtracted(std::shared_ptr<RunState> run, merge::pool::JobOutcome outcome) {
  const auto& id = run->source->id;
  Result<merge::worker::ExtractReply> extracted =
      outcome.failure ? Result<merge::worker::ExtractReply>(*outcome.failure)
                      : merge::worker::ParseExtractReply(std::move(*outcome.reply), outcome.body);
  if (!extracted) {
    Logger("pool")->warn("source={} extraction failed: {}", id, extracted.error().message);
    Store(run, MakeFetchLog(run->result, std::nullopt, &extracted.error()), std::nullopt);
    return;
  }
  run->pages->AddStats(extracted->stats);
  const auto next =
      run->pages->AddPage(std::move(extracted->records), extracted->next_url, run->result.headers);
  if (next && !stopping_) {
    FetchPage(run, *next);
    return;
  }
  FinishPages(run);
}

// All pages are in: one snapshot, judged by the extraction health check.
void SourcePipeline::FinishPages(std::shared_ptr<RunState> run) {
  const auto& id = run->source->id;
  merge::SourceSnapshot snapshot{id, run->started, run->pages->TakeRecords()};
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now() - run->started);
  Logger("fetch")->info("source={} fetched {} page(s), {} bytes in {} ms: {} records", id,
                        run->pages->pages(), run->bytes, elapsed.count(), snapshot.records.size());
  auto log = MakeFetchLog(run->result, snapshot.records.size(), nullptr);
  log.started = run->started;
  log.bytes = run->bytes;
  log.duration_ms = elapsed.count();
  log.outcome = ConditionalFetch::OutcomeName(ConditionalFetch::Verdict::kChanged);
  if (run->conditional && run->pages->pages() == 1) {
    log.validators = run->conditional->Next(run->result, ConditionalFetch::Verdict::kChanged);
  }
  if (ctx_.health != nullptr) {
    if (!ctx_.health->Known(id)) {
      // The last good run is the stored snapshot (a read on this thread, once per source).
      if (auto stored = ctx_.store.LoadSnapshot(id);
          stored && stored->fetched_at != SystemTime{}) {
        ctx_.health->Seed(id, stored->records.size());
      }
    }
    const auto verdict =
        ctx_.health->Evaluate(*run->source, run->started, snapshot.records.size(),
                              run->pages->pages(), run->pages->truncated(), run->pages->stats());
    if (verdict.flagged) {
      Logger("fetch")->warn("source={} extraction flagged: {}", id, verdict.reason);
      if (verdict.keep_previous) {
        const Error flagged = Error::SourceBroken(verdict.reason);
        log.error = flagged.message;
        log.error_class = ErrorClassName(flagged.error_class);
        Store(run, std::move(log), std::nullopt);
        return;
      }
    }
  }
  Store(run, std::move(log), std::move(snapshot));
}

// A 304, or the body of the stored snapshot: the fetch is logged, the snapshot stays.
void SourcePipeline::SkipExtraction(std::shared_ptr<RunState> run,
                                    ConditionalFetch::Verdict verdict) {
  const auto& r = run->result;
  auto log = MakeFetchLog(r, std::nullopt, nullptr);
  log.outcome = ConditionalFetch::OutcomeName(verdict);
  if (verdict == ConditionalFetch::Verdict::kNotModified) {
    log.bytes_saved = run->conditional->BytesSaved();
  }
  log.validators = run->conditional->Next(r, verdict);
  Logger("fetch")->info("source={} {} ({} ms): extraction skipped, stored snapshot kept",
                        run->source->id, log.outcome, r.duration.count());
  Store(run, std::move(log), std::nullopt);
}

// Writes the outcome on the writer thread, then reports back on the pipeline thread.
void SourcePipeline::Store(std::shared_ptr<RunState> run, storage::FetchLog log,
                           std::optional<merge::SourceSnapshot> snapshot) {
  if (ctx_.fetch_state != nullptr) {
    using Use = scheduler::FetchStateRegistry::Use;
    Use use = log.error.empty() ? Use::kExtracted : Use::kFailed;
    if (log.error.empty() && log.outcome == "not_modified") use = Use::kNotModified;
    if (log.error.empty() && log.outcome == "unchanged") use = Use::kUnchanged;
    ctx_.fetch_state->Record(run->source->id, run->result, use, log.bytes_saved);
  }
  if (ctx_.ingest) {
    ctx_.ingest(run->config, std::move(log), std::move(snapshot),
                [this, run] { done_(run->source->id, run->config, std::nullopt); });
    return;
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
