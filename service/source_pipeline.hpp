#pragma once
// One run of one source: fetch -> extract (in a worker process) -> store, each step handed to
// the component that owns it; the pipeline thread only moves results along. A 304 or a body
// identical to the stored snapshot's skips extraction (conditional_fetch.hpp).
// Thread safety: Run and SetStopping are called on the pipeline thread; `done` is called there.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "merge/record.hpp"
#include "service/conditional_fetch.hpp"
#include "service/pipeline_context.hpp"

namespace tributary::service {

class SourcePipeline {
 public:
  // Called once per Run when the outcome is stored (or could not be): `snapshot` is set when
  // new records were stored. `config` is the configuration the run used.
  using DoneCallback = std::function<void(const std::string& source_id,
                                          const std::shared_ptr<const config::Config>& config,
                                          std::optional<merge::SourceSnapshot> snapshot)>;

  SourcePipeline(PipelineContext context, DoneCallback done);

  void Run(const std::string& source_id);
  void SetStopping() { stopping_ = true; }

 private:
  struct RunState;
  void FetchPage(std::shared_ptr<RunState> run, const std::string& url);
  void OnFetched(std::shared_ptr<RunState> run, fetchers::FetchResult result);
  void OnExtracted(std::shared_ptr<RunState> run, merge::pool::JobOutcome outcome);
  void FinishPages(std::shared_ptr<RunState> run);
  void SkipExtraction(std::shared_ptr<RunState> run, ConditionalFetch::Verdict verdict);
  void Store(std::shared_ptr<RunState> run, storage::FetchLog log,
             std::optional<merge::SourceSnapshot> snapshot);

  PipelineContext ctx_;
  DoneCallback done_;
  bool stopping_ = false;  // pipeline thread only
};

}  // namespace tributary::service
