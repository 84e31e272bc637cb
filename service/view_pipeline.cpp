#include "service/view_pipeline.hpp"

#include <boost/asio/post.hpp>

#include "common/log.hpp"
#include "merge/worker/jobs.hpp"

namespace tributary::service {

namespace asio = boost::asio;

ViewPipeline::ViewPipeline(PipelineContext context) : ctx_(std::move(context)) {}

void ViewPipeline::LoadStored(const config::Config& config) {
  for (const auto& s : config.sources) {
    auto snapshot = ctx_.store.LoadSnapshot(s.id);
    if (!snapshot) {
      Logger("merge")->warn("source={} cannot load stored records: {}", s.id,
                            snapshot.error().message);
      continue;
    }
    if (!snapshot->records.empty()) snapshots_[s.id] = std::move(snapshot.value());
  }
}

void ViewPipeline::OnSourceStored(const config::Config& config, merge::SourceSnapshot snapshot) {
  const std::string id = snapshot.source_id;
  snapshots_[id] = std::move(snapshot);
  for (const auto& v : config.views) {
    for (const auto& ref : v.sources) {
      if (ref.id == id) RequestMerge(v.id);
    }
  }
}

void ViewPipeline::MergeAll(const config::Config& config) {
  for (const auto& v : config.views) RequestMerge(v.id);
}

void ViewPipeline::RequestMerge(const std::string& view_id) {
  if (stopping_) return;
  if (merging_.count(view_id)) {
    merge_again_.insert(view_id);
    return;
  }
  const auto cfg = ctx_.config();
  const auto* view = cfg->FindView(view_id);
  if (view == nullptr) return;
  std::vector<merge::SourceSnapshot> inputs;
  for (const auto& ref : view->sources) {
    if (auto it = snapshots_.find(ref.id); it != snapshots_.end()) inputs.push_back(it->second);
  }
  if (inputs.empty()) return;
  merging_.insert(view_id);
  merge::pool::Job job{"view=" + view_id, merge::worker::MakeMergeRequest(*view, inputs), {}};
  ctx_.pool.Submit(std::move(job), [this, view_id](merge::pool::JobOutcome outcome) {
    asio::post(ctx_.pipeline_io, [this, view_id, outcome = std::move(outcome)]() mutable {
      OnMerged(view_id, std::move(outcome));
    });
  });
}

void ViewPipeline::OnMerged(const std::string& view_id, merge::pool::JobOutcome outcome) {
  auto merged = outcome.failure ? Result<std::vector<merge::MergedRecord>>(*outcome.failure)
                                : merge::worker::ParseMergeReply(*outcome.reply);
  if (!merged) {
    Logger("merge")->error("view={} merge failed: {}", view_id, merged.error().message);
    Finish(view_id);
    return;
  }
  asio::post(ctx_.writer_io, [this, view_id, records = std::move(merged.value())] {
    const Status stored = ctx_.store.ReplaceViewRecords(view_id, records);
    if (!stored) {
      Logger("store")->error("view={} cannot store merged records: {}", view_id,
                             stored.error().message);
    } else {
      Logger("merge")->debug("view={} merged {} records", view_id, records.size());
    }
    asio::post(ctx_.pipeline_io, [this, view_id] { Finish(view_id); });
  });
}

void ViewPipeline::Finish(const std::string& view_id) {
  merging_.erase(view_id);
  if (merge_again_.erase(view_id)) RequestMerge(view_id);
}

}  // namespace tributary::service
