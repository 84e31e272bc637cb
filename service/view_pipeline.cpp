#include "service/view_pipeline.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>

#include "common/log.hpp"
#include "merge/combine/compared_record.hpp"
#include "merge/combine/merge_job.hpp"
#include "merge/worker/jobs.hpp"
#include "service/daemon_metrics.hpp"

namespace tributary::service {

namespace asio = boost::asio;

// The merges of one view within an update.
struct ViewPipeline::ViewWork {
  std::string view_id;
  // A full merge walks every entry of the view index (by id: no list of every key, no lookup
  // per key), then the touched keys: for a full merge, the keys of stored merged records that
  // have no record any more. Any other update merges the touched keys only.
  bool recompute = false;
  ViewIndex::EntryId next_entry = 0;               // the first entry not yet sent
  std::set<std::string> touched;                   // view keys to merge
  std::set<std::string>::const_iterator next_key;  // the first key not yet sent
  size_t next_key_index = 0;                       // its position in `touched`
  // An update's: each touched key's records before it (ViewIndex::AppendRecordsOf), one after the
  // other in the order of `touched`; old_records_at[i] is where key i's begin (and the last
  // element, the end). Empty for a full recompute, whose keys compare with merged().
  std::string old_records;
  std::vector<size_t> old_records_at;
  size_t keys = 0;  // to merge in all (set with keys_per_job when the first job is built)
  size_t keys_per_job = 0;
  bool started = false;
  storage::ViewUpdate update;
};

// One update in flight: from the source difference to the commit.
struct ViewPipeline::Update {
  Task task;
  std::string source_id;  // empty for a recompute
  std::optional<SourceRecords::Diff> diff;
  std::vector<ViewWork> views;
  size_t next_view = 0;  // the view whose keys SubmitMerges continues with
  size_t in_flight = 0;  // merge jobs submitted and not back yet
  std::optional<Error> failure;
  SystemTime started;
};

ViewPipeline::ViewPipeline(PipelineContext context) : ctx_(std::move(context)) {}

void ViewPipeline::LoadStored(const config::Config& config) {
  auto times = ctx_.store.SourceFetchTimes();
  for (const auto& s : config.sources) {
    ReloadSource(s.id, times ? std::optional(FetchTimeOf(*times, s.id)) : std::nullopt);
  }
  for (const auto& v : config.views) {
    auto stored = ctx_.store.ViewDefinition(v.id);
    const bool same = stored.ok() && *stored && **stored == CanonicalJson(v.definition);
    views_[v.id] = ReloadView(v, same);
    if (!same) needs_recompute_.insert(v.id);
  }
}

SystemTime ViewPipeline::FetchTimeOf(const std::map<std::string, SystemTime>& times,
                                     const std::string& source_id) {
  auto it = times.find(source_id);
  return it == times.end() ? SystemTime{} : it->second;
}

void ViewPipeline::ReloadSource(const std::string& source_id,
                                std::optional<SystemTime> fetched_at) {
  if (!fetched_at) {
    auto times = ctx_.store.SourceFetchTimes();
    if (!times) {
      Logger("merge")->warn("source={} cannot load its fetch time: {}", source_id,
                            times.error().message);
      return;
    }
    fetched_at = FetchTimeOf(*times, source_id);
  }
  auto records = ctx_.store.LoadSourceRecords(source_id);
  if (!records) {
    Logger("merge")->warn("source={} cannot load stored records: {}", source_id,
                          records.error().message);
    return;
  }
  sources_[source_id].Load(std::move(records).value(), *fetched_at);
}

std::unique_ptr<ViewIndex> ViewPipeline::ReloadView(const config::ViewConfig& view, bool build) {
  auto index = std::make_unique<ViewIndex>(view);
  if (build) {
    std::vector<const SourceRecords*> inputs;
    for (const auto& ref : view.sources) {
      auto it = sources_.find(ref.id);
      inputs.push_back(it == sources_.end() ? nullptr : &it->second);
    }
    index->Build(inputs);
  }
  return index;
}

void ViewPipeline::LoadStoredMerged(ViewIndex& index) {
  const std::string& view_id = index.view().id;
  std::string cursor;
  do {
    auto page = ctx_.store.ViewRecords(view_id, cursor, 1000);
    if (!page) {
      Logger("merge")->warn("view={} cannot load stored records: {}", view_id,
                            page.error().message);
      break;
    }
    for (const auto& r : page->records) {
      // The compared record the merge job would give for it (the whole record, which the job
      // reads too, should its provenance be neither form RenderText writes).
      const merge::MergedRecordText text = merge::RenderText(r);
      auto compared = merge::combine::ComparedRecordText(text);
      index.merged()[r.key] = compared ? std::move(*compared) : text.Whole();
    }
    cursor = page->next_cursor;
  } while (!cursor.empty());
}

std::vector<const SourceRecords*> ViewPipeline::ViewSources(const ViewIndex& index) {
  std::vector<const SourceRecords*> out;
  for (const auto& ref : index.view().sources) out.push_back(&sources_[ref.id]);
  return out;
}

void ViewPipeline::Ingest(std::shared_ptr<const config::Config> config, storage::FetchLog log,
                          std::optional<merge::SourceSnapshot> snapshot,
                          std::function<void()> done) {
  // A 304 or an unchanged body confirms the stored records: they were fetched now, which moves
  // the source's fetch time (provenance, `latest`) through the queue like a new snapshot.
  const bool confirms = !snapshot && log.error.empty() &&
                        (log.outcome == "not_modified" || log.outcome == "unchanged") &&
                        sources_.count(log.source_id) &&
                        sources_.at(log.source_id).fetched_at() != SystemTime{};
  if (!snapshot && !confirms) {
    // Only a fetch log: no merge state involved, straight to the writer.
    asio::post(ctx_.writer_io, [this, log = std::move(log), done = std::move(done)]() mutable {
      storage::IngestBatch batch;
      batch.fetch = log;
      batch.time = std::chrono::system_clock::now();
      auto stored = ctx_.store.CommitIngest(batch);
      if (!stored) {
        Logger("store")->error("source={} cannot store the fetch: {}", log.source_id,
                               stored.error().message);
      }
      asio::post(ctx_.pipeline_io,
                 [this, id = log.source_id,
                  error = stored.ok() ? std::optional<std::string>() : stored.error().message,
                  done = std::move(done)] {
                   SetStoreError(id, error);
                   done();
                 });
    });
    return;
  }
  Task task;
  task.config = std::move(config);
  task.log = std::move(log);
  task.snapshot = std::move(snapshot);
  task.done = std::move(done);
  Enqueue(std::move(task));
}

void ViewPipeline::MergeAll(const config::Config& config) {
  std::set<std::string> configured;
  for (const auto& v : config.views) {
    configured.insert(v.id);
    auto it = views_.find(v.id);
    const bool changed = it == views_.end() || needs_recompute_.count(v.id) ||
                         it->second->definition() != CanonicalJson(v.definition);
    if (!changed || !recompute_queued_.insert(v.id).second) continue;
    Task task;
    task.config = ctx_.config();
    task.recompute_view = v.id;
    Enqueue(std::move(task));
  }
  for (auto it = views_.begin(); it != views_.end();) {
    it = configured.count(it->first) ? std::next(it) : views_.erase(it);
  }
}

void ViewPipeline::Enqueue(Task task) {
  queue_.push_back(std::move(task));
  RunNext();
}

void ViewPipeline::RunNext() {
  while (!busy_ && !queue_.empty()) {
    Task task = std::move(queue_.front());
    queue_.pop_front();
    if (stopping_) {
      if (task.done) task.done();
      continue;
    }
    busy_ = true;
    if (task.recompute_view) {
      StartRecompute(task);
    } else {
      StartIngest(task);
    }
  }
}

void ViewPipeline::StartIngest(Task& task) {
  auto update = std::make_shared<Update>();
  update->task = std::move(task);
  update->started = std::chrono::system_clock::now();
  const auto& snapshot = update->task.snapshot;
  update->source_id = snapshot ? snapshot->source_id : update->task.log.source_id;
  SourceRecords& source = sources_[update->source_id];
  update->diff = snapshot ? source.Compare(*snapshot)
                          : source.Confirm(update->source_id, update->task.log.started);
  // The diff holds what the merges and the commit need (its own copies of the texts): the
  // snapshot (every record's text) need not wait for them.
  update->task.snapshot.reset();
  const auto& changes = update->diff->update.changes;

  // The running configuration, not the one the fetch started with: a view recomputed since
  // then must see this snapshot too.
  update->task.config = ctx_.config();
  // First, with nothing changed yet, each view's keys the update touches and their records
  // before it (what the last commit merged and stored for them); then the source's records
  // and the view indexes change.
  struct IndexChange {
    ViewIndex* index = nullptr;
    size_t position = 0;
    std::vector<ViewIndex::KeyMove> moves;  // by change
  };
  std::vector<IndexChange> index_changes;
  for (const auto& v : update->task.config->views) {
    auto it = views_.find(v.id);
    if (it == views_.end() || needs_recompute_.count(v.id) || recompute_queued_.count(v.id)) {
      // Its full recompute reads every source's records, this snapshot included; one that
      // failed earlier (a failed commit) is retried now, at the pace of ingestion.
      if (!recompute_queued_.count(v.id) && recompute_queued_.insert(v.id).second) {
        Task retry;
        retry.config = update->task.config;
        retry.recompute_view = v.id;
        queue_.push_back(std::move(retry));
      }
      continue;
    }
    ViewIndex& index = *it->second;
    if (index.definition() != CanonicalJson(v.definition)) continue;  // recompute follows
    const auto position = index.SourceIndex(update->source_id);
    if (!position) continue;
    ViewWork work;
    work.view_id = v.id;
    IndexChange change_of_index{&index, *position, index.KeysOf(*position, changes, work.touched)};
    // This fetch makes the source the most recently fetched: where a `latest` field can now
    // take its value, the key is merged again (keys whose outcome stays are not rewritten).
    if (UsesLatest(v)) index.SharedKeys(*position, source, work.touched);
    work.old_records_at.reserve(work.touched.size() + 1);
    index.AppendRecordsOf(work.touched, ViewSources(index), work.old_records, work.old_records_at);
    update->views.push_back(std::move(work));
    index_changes.push_back(std::move(change_of_index));
  }
  source.Apply(*update->diff);
  for (size_t w = 0; w < index_changes.size(); ++w) {
    IndexChange& c = index_changes[w];
    ViewWork& work = update->views[w];
    const auto& keyless = c.index->Keyless(c.position);
    for (size_t i = 0; i < changes.size(); ++i) {
      const storage::ChangeText& change = changes[i];
      const bool was_keyless = keyless.count(change.key) > 0;
      c.index->Set(c.position, change, std::move(c.moves[i]));
      const bool is_keyless = keyless.count(change.key) > 0;
      if (was_keyless != is_keyless) {
        (is_keyless ? work.update.keyless_upserts : work.update.keyless_removed)
            .push_back(storage::KeylessRecord{update->source_id, change.key});
      }
    }
  }
  Logger("merge")->debug("source={} {} records changed; {} view(s) to update", update->source_id,
                         update->diff->update.changes.size(), update->views.size());
  SubmitMerges(update);
}

void ViewPipeline::StartRecompute(Task& task) {
  auto update = std::make_shared<Update>();
  update->task = std::move(task);
  update->started = std::chrono::system_clock::now();
  const std::string& id = *update->task.recompute_view;
  recompute_queued_.erase(id);
  needs_recompute_.erase(id);
  update->task.config = ctx_.config();
  const config::ViewConfig* view = update->task.config->FindView(id);
  if (view == nullptr) return Finish(update);
  auto index = ReloadView(*view, true);
  // What the store holds under the old definition: the merges compare with it. Held until
  // the recompute's last merge is back (Commit).
  LoadStoredMerged(*index);
  ViewWork work;
  work.view_id = id;
  work.recompute = true;
  index->merged().ForEach([&](const std::string& key, const std::string&) {
    if (index->Find(key) == nullptr) work.touched.insert(key);
  });
  work.update.definition = index->definition();
  for (size_t i = 0; i < view->sources.size(); ++i) {
    for (const auto& key : index->Keyless(i)) {
      work.update.keyless_upserts.push_back(storage::KeylessRecord{view->sources[i].id, key});
    }
  }
  Logger("merge")->info("view={} full merge of {} keys", id, index->size() + work.touched.size());
  views_[id] = std::move(index);
  update->views.push_back(std::move(work));
  SubmitMerges(update);
}

// Submits merge jobs for the keys of each view (a full merge's walk, then the touched keys), with
// at most kMaxJobsInFlight at a time: a full merge of a large view streams through the pool instead
// of queueing every body at once. Commits when the last job is back.
void ViewPipeline::SubmitMerges(const std::shared_ptr<Update>& update) {
  while (!update->failure && update->in_flight < kMaxJobsInFlight &&
         update->next_view < update->views.size()) {
    const size_t w = update->next_view;
    ViewWork& work = update->views[w];
    ViewIndex& index = *views_.at(work.view_id);
    if (!work.started) {
      work.started = true;
      work.next_key = work.touched.begin();
      work.update.view_id = work.view_id;
      work.update.replace_keys = work.recompute;
      work.keys = (work.recompute ? index.size() : 0) + work.touched.size();
      work.keys_per_job = KeysPerJob(work.keys);
    }
    std::string body;
    if (work.keys > 1000) body.reserve(kMaxJobBody + kMaxJobBody / 8);
    // The view's sources by position, looked up once rather than per record.
    const std::vector<const SourceRecords*> view_sources = ViewSources(index);
    auto walking = [&] { return work.recompute && work.next_entry < index.entry_id_end(); };
    size_t keys_in_body = 0;
    if (walking()) {
      work.next_entry =
          index.AppendEntries(body, work.next_entry, kMaxJobBody, work.keys_per_job, view_sources,
                              [&](std::string_view key, const ViewIndex::Entry& entry) {
                                work.update.key_upserts.push_back(index.KeyInfo(key, &entry));
                                ++keys_in_body;
                              });
    }
    for (; !walking() && work.next_key != work.touched.end() && body.size() < kMaxJobBody &&
           keys_in_body < work.keys_per_job;
         ++work.next_key, ++work.next_key_index, ++keys_in_body) {
      const std::string& key = *work.next_key;
      const ViewIndex::Entry* entry = index.Find(key);
      if (entry == nullptr) {
        work.update.key_removed.push_back(key);
      } else {
        work.update.key_upserts.push_back(index.KeyInfo(key, entry));
      }
      std::optional<std::string_view> old_records;
      if (!work.old_records_at.empty()) {
        const size_t at = work.old_records_at[work.next_key_index];
        old_records = std::string_view(work.old_records)
                          .substr(at, work.old_records_at[work.next_key_index + 1] - at);
      }
      index.AppendMergeItem(body, key, entry, view_sources, old_records);
    }
    if (!walking() && work.next_key == work.touched.end()) ++update->next_view;
    if (body.empty()) continue;
    const auto& view = index.view();
    merge::pool::Job job{"view=" + view.id,
                         R"({"job":"merge_keys","view":)" + index.definition() + "}",
                         std::move(body)};
    ++update->in_flight;
    ctx_.pool.Submit(std::move(job), [this, update, w](merge::pool::JobOutcome out) {
      asio::post(ctx_.pipeline_io, [this, update, w, out = std::move(out)]() mutable {
        OnMergeJob(update, w, std::move(out));
      });
    });
  }
  if (update->in_flight == 0) Commit(update);
}

void ViewPipeline::OnMergeJob(const std::shared_ptr<Update>& update, size_t w,
                              merge::pool::JobOutcome out) {
  ViewWork& work = update->views[w];
  std::optional<Error> error = out.failure;
  if (!error && out.reply) error = merge::worker::JobError(*out.reply);
  if (!error && out.reply) {
    if (auto parsed = merge::combine::ParseMergeResults(out.body, results_); !parsed) {
      error = parsed.error();
    } else {
      for (const merge::combine::MergeResult& r : results_) {
        if (r.op == "provenance") {
          // Same values, now from another source: stored again, no change row.
          work.update.upserts.push_back(r.Record());
          continue;
        }
        storage::ViewChange c;
        c.key = r.key;
        c.op = r.op;
        c.before = r.before;
        c.after = r.after();
        c.fields = r.diff;
        c.record = r.whole;
        work.update.changes.push_back(std::move(c));
        if (r.has_record) {
          work.update.upserts.push_back(r.Record());
        } else {
          work.update.removed.emplace_back(r.key);
        }
      }
    }
    results_.clear();  // views into out.body
  }
  if (error && !update->failure) {
    update->failure = Error{error->error_class, "view " + work.view_id + ": " + error->message};
  }
  --update->in_flight;
  SubmitMerges(update);
}

void ViewPipeline::Commit(const std::shared_ptr<Update>& update) {
  // Every merge is back: a recompute's stored records have been compared with.
  for (const auto& work : update->views) {
    if (!work.recompute) continue;
    if (auto it = views_.find(work.view_id); it != views_.end()) {
      it->second->merged() = FlatStringMap<std::string>();
    }
  }
  storage::IngestBatch batch;
  batch.time = std::chrono::system_clock::now();
  const bool ingest = !update->task.recompute_view;
  if (ingest) batch.fetch = update->task.log;
  if (update->failure && stopping_) {
    // Shutting down ("pool stopped"): the next run fetches again; nothing to record.
    return Finish(update);
  }
  if (update->failure) {
    // Nothing of this update is stored but the fetch log, which says why.
    Logger("merge")->error(
        "{} merge failed: {}",
        ingest ? "source=" + update->source_id : "view=" + *update->task.recompute_view,
        update->failure->message);
    if (!ingest) {
      Resync(*update);
      return Finish(update);
    }
    batch.fetch->error = "merge failed: " + update->failure->message;
    batch.fetch->error_class = ErrorClassName(update->failure->error_class);
  } else {
    if (update->diff) batch.source = std::move(update->diff->update);
    for (auto& work : update->views) {
      if (work.recompute) work.update.definition = views_.at(work.view_id)->definition();
      batch.views.push_back(std::move(work.update));
    }
    // The first merge of a view records its definition, so a restart knows it is up to date.
    for (auto& view : batch.views) {
      if (!view.definition) view.definition = views_.at(view.view_id)->definition();
    }
  }
  asio::post(ctx_.writer_io, [this, update, batch = std::move(batch)] {
    auto receipt = ctx_.store.CommitIngest(batch);
    asio::post(ctx_.pipeline_io, [this, update, receipt = std::move(receipt)]() mutable {
      OnCommitted(update, std::move(receipt));
    });
  });
}

void ViewPipeline::OnCommitted(const std::shared_ptr<Update>& update,
                               Result<storage::CommitReceipt> receipt) {
  const std::string who = update->task.recompute_view ? "view=" + *update->task.recompute_view
                                                      : "source=" + update->source_id;
  if (!receipt) {
    Logger("store")->error("{} cannot store the update: {}", who, receipt.error().message);
    if (!update->source_id.empty()) SetStoreError(update->source_id, receipt.error().message);
    Resync(*update);
  } else {
    Logger("merge")->debug("{} committed", who);
    if (!update->source_id.empty()) SetStoreError(update->source_id, std::nullopt);
    for (const auto& work : update->views) {
      if (!update->failure && work.keys > 0) RecordMergeMetrics(work.view_id);
    }
    if (update->failure) {
      Resync(*update);
    } else if (receipt->last_seq != 0) {
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now() - update->started);
      Logger("merge")->info("{} stored changes {}..{} in {} ms", who, receipt->first_seq,
                            receipt->last_seq, ms.count());
    }
  }
  Finish(update);
}

void ViewPipeline::Finish(const std::shared_ptr<Update>& update) {
  busy_ = false;
  if (update->task.done) update->task.done();
  RunNext();
}

bool ViewPipeline::UsesLatest(const config::ViewConfig& view) {
  if (view.defaults.strategy == config::MergeStrategy::kLatest) return true;
  for (const auto& [field, rule] : view.field_rules) {
    if (rule.strategy == config::MergeStrategy::kLatest) return true;
  }
  return false;
}

void ViewPipeline::Resync(const Update& update) {
  const auto& config = *update.task.config;
  if (!update.source_id.empty()) ReloadSource(update.source_id);
  for (const auto& work : update.views) {
    const config::ViewConfig* view = config.FindView(work.view_id);
    if (view == nullptr) continue;
    auto stored = ctx_.store.ViewDefinition(view->id);
    const bool same = stored.ok() && *stored && **stored == CanonicalJson(view->definition);
    views_[view->id] = ReloadView(*view, same);
    if (!same) needs_recompute_.insert(view->id);
  }
}

void ViewPipeline::SetStoreError(const std::string& source_id, std::optional<std::string> error) {
  std::lock_guard lock(errors_mu_);
  if (error) {
    store_errors_[source_id] = *error;
  } else {
    store_errors_.erase(source_id);
  }
}

std::optional<std::string> ViewPipeline::StoreError(const std::string& source_id) const {
  std::lock_guard lock(errors_mu_);
  const auto it = store_errors_.find(source_id);
  if (it == store_errors_.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, std::string> ViewPipeline::StoreErrors() const {
  std::lock_guard lock(errors_mu_);
  return store_errors_;
}

}  // namespace tributary::service
