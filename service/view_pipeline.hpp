#pragma once
// Keeps every view's stored records in step with its sources: holds the latest snapshot of each
// source, and re-merges (in a worker process) the views a new snapshot touches. One merge per
// view at a time; a request during a merge runs once more afterwards, so the stored view always
// reflects the latest snapshots and an older merge never overwrites a newer one.
// Thread safety: every method runs on the pipeline thread.

#include <map>
#include <set>
#include <string>

#include "merge/record.hpp"
#include "service/pipeline_context.hpp"

namespace tributary::service {

class ViewPipeline {
 public:
  explicit ViewPipeline(PipelineContext context);

  // Loads the stored snapshots of the configured sources (records of an earlier run take part
  // in merges until their sources are fetched again).
  void LoadStored(const config::Config& config);
  // A source's new snapshot was stored: re-merge the views that use it.
  void OnSourceStored(const config::Config& config, merge::SourceSnapshot snapshot);
  void RequestMerge(const std::string& view_id);
  void MergeAll(const config::Config& config);
  void SetStopping() { stopping_ = true; }

 private:
  void OnMerged(const std::string& view_id, merge::pool::JobOutcome outcome);
  void Finish(const std::string& view_id);

  PipelineContext ctx_;
  std::map<std::string, merge::SourceSnapshot> snapshots_;
  std::set<std::string> merging_;
  std::set<std::string> merge_again_;
  bool stopping_ = false;
};

}  // namespace tributary::service
