#pragma once
// Turns fetch outcomes into durable state: for a new snapshot of a source it computes what
// changed (records added, removed, changed), re-merges in worker processes only the view keys
// those records touch, compares each merged record with the stored one, and hands everything —
// fetch log, source difference, merged records, coverage keys and change rows — to the store as
// ONE transaction. A crash therefore leaves the old state or the new one, never a mix.
//
// Updates run one at a time (a queue), so every merge sees the state the previous commit left.
// Merged records are not kept in memory: each commit stores what the source records of the
// time merge to, so an update sends each key it touches with its records before and after it,
// and the worker compares the two merges (merge/combine/merge_job.hpp).
// In-memory state (source records, view indexes) is updated as an update is computed; when its
// commit fails (disk full, I/O error), the affected state is reloaded from the store, the error
// is reported (StoreErrors, /readyz), and the source's next fetch retries against the stored
// state. A view whose definition changed (or that is new) is recomputed in full.
// Every record of a source counts as fetched at the source's latest fetch, including fetches
// that confirmed the stored records (a 304 or the same body): merges give that time as the
// provenance time and the `latest` strategy compares it. Such a fetch re-merges only the keys
// where a `latest` field can change hands; the store reports each source's current fetch time
// on read, so records a fetch merely confirms are not rewritten.
// Thread safety: every method except StoreErrors runs on the pipeline thread; StoreErrors may be
// called from any thread.

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "merge/combine/merge_job.hpp"
#include "merge/record.hpp"
#include "service/pipeline_context.hpp"
#include "service/source_records.hpp"
#include "service/view_index.hpp"

namespace tributary::service {

class ViewPipeline {
 public:
  // The largest merge job body: large merges are split so that frames stay far below the
  // pool's frame cap. A reply is about twice its body (each merged record; 5.1 times while
  // replies carried each added record's diff and per-field provenance): at 1 MiB both stay
  // small enough for malloc to serve them from memory it keeps, where 8 MiB bodies made ~34 MiB
  // replies, above glibc's largest mmap threshold (32 MiB), each one mapped and faulted in
  // afresh (half of a worker's time in a full merge of 2.4 million keys).
  static constexpr size_t kMaxJobBody = 1u << 20;
  // Merge jobs of one update in the pool at once.
  static constexpr size_t kMaxJobsInFlight = 4;
  // The keys of one merge job: a share of the update's keys, so that an update of thousands of
  // keys (1 % of a large source) runs on every worker rather than in one job; small updates
  // stay one job (a job costs a frame each way). An eighth rather than a quarter: with a
  // quarter, the last jobs ran on their own once every body was built.
  static constexpr size_t kMinKeysPerJob = 500;
  static size_t KeysPerJob(size_t keys) {
    constexpr size_t kJobs = 2 * kMaxJobsInFlight;
    return std::max(kMinKeysPerJob, (keys + kJobs - 1) / kJobs);
  }

  explicit ViewPipeline(PipelineContext context);

  // Before the pipeline starts: loads the stored source records and indexes each view's keys.
  // Views stored with another definition (or never merged) are recomputed by MergeAll.
  void LoadStored(const config::Config& config);
  // Commits one fetch outcome (see the class comment); `done` runs on the pipeline thread once
  // the outcome is stored or could not be.
  void Ingest(std::shared_ptr<const config::Config> config, storage::FetchLog log,
              std::optional<merge::SourceSnapshot> snapshot, std::function<void()> done);
  // At start and after a configuration change: recomputes views that are new or changed.
  void MergeAll(const config::Config& config);
  void SetStopping() { stopping_ = true; }

  // Sources whose last commit failed, with the error; empty when all is well.
  std::map<std::string, std::string> StoreErrors() const;
  // The source's error when its last commit failed (every run completion asks: no copy of the
  // map, which holds every source while the disk is full).
  std::optional<std::string> StoreError(const std::string& source_id) const;

 private:
  // One queued unit of work: a source's fetch outcome, or a view's full recompute.
  struct Task {
    std::shared_ptr<const config::Config> config;
    // Ingest: a new snapshot, or none when the fetch confirmed the stored one.
    storage::FetchLog log;
    std::optional<merge::SourceSnapshot> snapshot;
    std::function<void()> done;
    // Recompute (when set).
    std::optional<std::string> recompute_view;
  };
  struct ViewWork;
  struct Update;

  void Enqueue(Task task);
  void RunNext();
  void StartIngest(Task& task);
  void StartRecompute(Task& task);
  void SubmitMerges(const std::shared_ptr<Update>& update);
  void OnMergeJob(const std::shared_ptr<Update>& update, size_t view, merge::pool::JobOutcome out);
  void Commit(const std::shared_ptr<Update>& update);
  void OnCommitted(const std::shared_ptr<Update>& update, Result<storage::CommitReceipt> receipt);
  void Finish(const std::shared_ptr<Update>& update);
  // After a failed update: the in-memory state of the source and views is read back from the
  // store (what is really committed).
  void Resync(const Update& update);
  // `fetched_at`: the source's stored fetch time when the caller has it (else read here).
  void ReloadSource(const std::string& source_id,
                    std::optional<SystemTime> fetched_at = std::nullopt);
  static SystemTime FetchTimeOf(const std::map<std::string, SystemTime>& times,
                                const std::string& source_id);
  static bool UsesLatest(const config::ViewConfig& view);
  // A new index of the view, built from the sources' records when `build`.
  std::unique_ptr<ViewIndex> ReloadView(const config::ViewConfig& view, bool build);
  // Reads the view's stored merged records into index.merged(), for a full recompute.
  void LoadStoredMerged(ViewIndex& index);
  // The view's sources by position (an empty one for a source not loaded).
  std::vector<const SourceRecords*> ViewSources(const ViewIndex& index);
  void SetStoreError(const std::string& source_id, std::optional<std::string> error);

  PipelineContext ctx_;
  // Pipeline thread only.
  std::map<std::string, SourceRecords> sources_;
  std::map<std::string, std::unique_ptr<ViewIndex>> views_;
  std::set<std::string> needs_recompute_;   // stored with another definition (or a failure)
  std::set<std::string> recompute_queued_;  // a recompute task is in the queue
  std::deque<Task> queue_;
  // The results of the reply being applied: views into it, cleared once it is applied. A
  // member so that its capacity serves reply after reply (ParseMergeResults).
  std::vector<merge::combine::MergeResult> results_;
  bool busy_ = false;
  bool stopping_ = false;

  mutable std::mutex errors_mu_;
  std::map<std::string, std::string> store_errors_;  // Guarded by errors_mu_.
};

}  // namespace tributary::service
