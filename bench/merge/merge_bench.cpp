// bench/merge: the daemon's merge path on three generated sources (see bench/merge/run).
//
//   merge_bench <records per source> <out dir> [workers] [full runs, default 5]
//
// Generates three sources under different field names (A: id/name/price/stock, B: code/title/
// cost/qty, C: sku/label/amount/units) of N records each; 30 % of the keys are in all three,
// and 5 % of those disagree on the price. Writes them as CSV for the pandas comparison, then
// times, in process (threads stand in for the worker processes; no SQLite):
//   full:        index every record by view key, merge + compare every key through the
//                merge_keys job code (bodies of ViewPipeline::kMaxJobBody, as the daemon
//                sends them); five times over, the median run reported
//   incremental: a new snapshot of source A with 1 % of its records changed: the snapshot
//                difference, the index update and the merge of the touched keys only
// Prints one JSON object with times (seconds), counts and peak RSS (MiB).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "common/json_text.hpp"
#include "config/loader.hpp"
#include "merge/combine/merge_job.hpp"
#include "service/source_records.hpp"
#include "service/view_index.hpp"
#include "service/view_pipeline.hpp"

namespace {

using namespace tributary;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Progress on stderr, so that a profiler can be attached to one part (perf record -p).
void Progress(const char* what) { std::cerr << "merge_bench: " << what << std::endl; }

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// Source s's key of record i: the first 30 % of each source's records are the shared keys.
std::string KeyOf(int s, size_t i, size_t n) {
  const size_t shared = n * 3 / 10;
  // Appended piece by piece: GCC 12 reports a false -Wrestrict on "S" + to_string(…) + "-".
  std::string key(i < shared ? "K" : "S");
  if (i >= shared) {
    key += std::to_string(s);
    key += '-';
  }
  key += std::to_string(i);
  return key;
}

double PriceOf(int s, size_t i, size_t n) {
  const size_t shared = n * 3 / 10;
  const double base = 1.0 + static_cast<double>(i % 10000) / 100.0;
  // 5 % of the shared keys: sources B and C quote another price.
  if (i < shared && i % 20 == 0 && s > 0) return base + 1.0 + s;
  return base;
}

// Source s (generation 1: the changed snapshot of source A), written to `csv_path` for pandas
// and kept as the daemon gets a worker's records: key and fields text only (ParseExtractReply
// keeps no tree). Each record's tree lives only while its text and CSV line are written, so no
// freed trees are left in the heap before the timed part.
merge::SourceSnapshot Generate(int s, size_t n, int generation, const std::string& csv_path) {
  static const char* kHeader[3] = {"id,name,price,stock", "code,title,cost,qty",
                                   "sku,label,amount,units"};
  // Field order as in the header (nlohmann sorts keys, so written explicitly).
  static const char* kNames[3][4] = {{"id", "name", "price", "stock"},
                                     {"code", "title", "cost", "qty"},
                                     {"sku", "label", "amount", "units"}};
  std::ofstream csv(csv_path);
  csv << kHeader[s] << "\n";
  merge::SourceSnapshot snapshot;
  snapshot.source_id = std::string(1, static_cast<char>('a' + s));
  snapshot.fetched_at = FromUnixMillis(1'700'000'000'000 + generation);
  snapshot.records.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    merge::Record r;
    r.key = KeyOf(s, i, n);
    double price = PriceOf(s, i, n);
    // Generation 1 of source A: 1 % of the records get a new price.
    if (generation > 0 && i % 100 == 7) price += 0.5;
    const nlohmann::json fields = {{kNames[s][0], r.key},
                                   {kNames[s][1], "Item " + std::to_string(i % 50000)},
                                   {kNames[s][2], price},
                                   {kNames[s][3], static_cast<int64_t>(i % 17)}};
    csv << fields[kNames[s][0]].get<std::string>() << ',' << fields[kNames[s][1]].get<std::string>()
        << ',' << fields[kNames[s][2]].dump() << ',' << fields[kNames[s][3]].dump() << '\n';
    r.fields = nlohmann::json(nlohmann::json::value_t::discarded);
    merge::SetFieldsText(r, CanonicalJson(fields));
    snapshot.records.push_back(std::move(r));
  }
  return snapshot;
}

struct MergeCounts {
  size_t keys = 0;
  size_t results = 0;
  size_t conflicts = 0;
  size_t jobs = 0;
  size_t body_bytes = 0;
  size_t reply_bytes = 0;
  // The pipeline thread's time waiting for a reply, and reading and applying replies.
  double wait_s = 0;
  double apply_s = 0;
};

// The daemon runs merge jobs in its worker processes (workers.processes, default one per core)
// while the pipeline thread builds the next bodies and applies the replies, with at most
// ViewPipeline::kMaxJobsInFlight jobs out. Threads stand in for the processes here (what that
// leaves out: one frame each way per job through a socketpair).
class JobThreads {
 public:
  JobThreads(size_t count, const config::ViewConfig& view) : view_(view) {
    for (size_t i = 0; i < count; ++i) threads_.emplace_back([this] { Run(); });
  }
  ~JobThreads() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void Submit(std::string body) {
    {
      std::lock_guard lock(mu_);
      bodies_.push_back(std::move(body));
    }
    wake_.notify_one();
  }
  std::string NextReply() {
    std::unique_lock lock(mu_);
    done_.wait(lock, [this] { return !replies_.empty(); });
    std::string reply = std::move(replies_.front());
    replies_.pop_front();
    return reply;
  }

 private:
  void Run() {
    for (;;) {
      std::string body;
      {
        std::unique_lock lock(mu_);
        wake_.wait(lock, [this] { return stop_ || !bodies_.empty(); });
        if (bodies_.empty()) return;
        body = std::move(bodies_.front());
        bodies_.pop_front();
      }
      auto reply = merge::combine::RunMergeJob(view_, body);
      if (!reply) {
        std::cerr << "merge job failed: " << reply.error().message << "\n";
        std::exit(1);
      }
      {
        std::lock_guard lock(mu_);
        replies_.push_back(std::move(reply->body));
      }
      done_.notify_one();
    }
  }

  const config::ViewConfig& view_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  std::deque<std::string> bodies_, replies_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// The touched keys of an update and their records before it (ViewIndex::AppendRecordsOf, taken
// before the update changes anything), as ViewPipeline keeps them.
struct Touched {
  std::vector<std::string> keys;
  std::string old_records;
  std::vector<size_t> old_records_at;  // key i's: [at[i], at[i + 1])
};

// Merges keys of the view through the merge_keys job, as ViewPipeline does: every key (a full
// merge, walking the index's entries) or the `touched` ones, in bodies of up to
// ViewPipeline::kMaxJobBody and ViewPipeline::KeysPerJob keys, built by
// ViewIndex::AppendMergeItem, at most four jobs out, replies read as the pipeline reads them
// (it keeps no merged records: what it stores goes to the store, which this leaves out).
MergeCounts MergeKeys(service::ViewIndex& index,
                      const std::map<std::string, service::SourceRecords>& sources,
                      const Touched* touched, size_t workers) {
  using service::ViewPipeline;
  constexpr size_t kMaxJobBody = ViewPipeline::kMaxJobBody;
  constexpr size_t kMaxJobsInFlight = ViewPipeline::kMaxJobsInFlight;
  const size_t keys_per_job =
      ViewPipeline::KeysPerJob(touched != nullptr ? touched->keys.size() : index.size());
  MergeCounts counts;
  JobThreads jobs(workers, index.view());
  size_t in_flight = 0;
  std::vector<merge::combine::MergeResult> results;  // as ViewPipeline::results_
  auto apply = [&] {
    auto t = Clock::now();
    const std::string reply = jobs.NextReply();
    counts.wait_s += Seconds(t);
    t = Clock::now();
    --in_flight;
    counts.reply_bytes += reply.size();
    if (auto parsed = merge::combine::ParseMergeResults(reply, results); !parsed) {
      std::cerr << "merge results: " << parsed.error().message << "\n";
      std::exit(1);
    }
    for (const auto& r : results) {
      ++counts.results;
      counts.conflicts += r.has_record && r.has_conflicts ? 1 : 0;
    }
    counts.apply_s += Seconds(t);
  };
  std::string body;
  size_t keys_in_body = 0;
  auto submit = [&] {
    while (in_flight >= kMaxJobsInFlight) apply();
    counts.body_bytes += body.size();
    jobs.Submit(std::move(body));
    ++in_flight;
    ++counts.jobs;
    keys_in_body = 0;
    body = std::string();
    body.reserve(kMaxJobBody + kMaxJobBody / 8);
  };
  body.reserve(kMaxJobBody + kMaxJobBody / 8);
  std::vector<const service::SourceRecords*> view_sources;
  for (const auto& ref : index.view().sources) view_sources.push_back(&sources.at(ref.id));
  if (touched == nullptr) {
    // As ViewPipeline::StartRecompute of a new view: nothing stored to look up.
    service::ViewIndex::EntryId next = 0;
    while (next < index.entry_id_end()) {
      next = index.AppendEntries(
          body, next, kMaxJobBody, keys_per_job, view_sources,
          [&](std::string_view, const service::ViewIndex::Entry&) { ++counts.keys; });
      if (!body.empty()) submit();
    }
  } else {
    const auto& at = touched->old_records_at;
    for (size_t k = 0; k < touched->keys.size(); ++k) {
      const std::string& key = touched->keys[k];
      index.AppendMergeItem(
          body, key, index.Find(key), view_sources,
          std::string_view(touched->old_records).substr(at[k], at[k + 1] - at[k]));
      ++counts.keys;
      if (body.size() >= kMaxJobBody || ++keys_in_body >= keys_per_job) submit();
    }
  }
  if (!body.empty()) submit();
  while (in_flight > 0) apply();
  return counts;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::stoul(argv[1]) : 1'000'000;
  const std::string out_dir = argc > 2 ? argv[2] : ".";
  // As workers.processes defaults: one per core.
  const size_t workers =
      argc > 3 ? std::stoul(argv[3]) : std::max(1u, std::thread::hardware_concurrency());

  std::vector<config::ConfigError> errors;
  auto view = config::ParseView(json::parse(R"({"id": "bench", "key": "id",
      "sources": ["a", {"id": "b", "fields": {"id": "code", "name": "title", "price": "cost",
                                              "stock": "qty"}},
                  {"id": "c", "fields": {"id": "sku", "name": "label", "price": "amount",
                                         "stock": "units"}}],
      "fields": {"price": {"compare": {"tolerance": 0.01}}}})"),
                                "view", errors);
  if (!view) {
    std::cerr << "bad view\n";
    return 1;
  }

  auto t = Clock::now();
  std::vector<merge::SourceSnapshot> snapshots;
  for (int s = 0; s < 3; ++s) {
    snapshots.push_back(Generate(s, n, 0, out_dir + "/source_" + std::to_string(s) + ".csv"));
  }
  auto changed = Generate(0, n, 1, out_dir + "/source_0_changed.csv");
  const double generate_s = Seconds(t);
  Progress("generated");
  const double rss_inputs = PeakRssMiB();

  // Full: the source states, the key index, every key merged and compared.
  t = Clock::now();
  std::map<std::string, service::SourceRecords> sources;
  for (const auto& s : snapshots) {
    auto diff = sources[s.source_id].Compare(s);
    sources[s.source_id].Apply(diff);
  }
  const double load_s = Seconds(t);
  Progress("loaded");
  // The full merge five times over (or as many as asked), each from a new index (the previous
  // one freed first); the median run (by index + merge) is reported, with every run's total.
  // Five, not three: the first run always takes memory the process never had and is the
  // slowest, so the median of three was the slower of two warm runs, and one slow minute of
  // this machine decided it. The last run's index is the incremental step's starting point.
  const size_t full_runs = argc > 4 ? std::max<size_t>(1, std::stoul(argv[4])) : 5;
  std::vector<double> index_runs, merge_runs, apply_runs, wait_runs;
  std::unique_ptr<service::ViewIndex> index_holder;
  MergeCounts full;
  double rss_full = 0;
  for (size_t run = 0; run < full_runs; ++run) {
    index_holder.reset();
    t = Clock::now();
    index_holder = std::make_unique<service::ViewIndex>(*view);
    index_holder->Build({&sources.at("a"), &sources.at("b"), &sources.at("c")});
    index_runs.push_back(Seconds(t));
    Progress("indexed");
    t = Clock::now();
    full = MergeKeys(*index_holder, sources, nullptr, workers);
    merge_runs.push_back(Seconds(t));
    apply_runs.push_back(full.apply_s);
    wait_runs.push_back(full.wait_s);
    Progress("merged");
    if (run == 0) rss_full = PeakRssMiB();
  }
  service::ViewIndex& index = *index_holder;
  std::vector<size_t> by_total(full_runs);
  for (size_t i = 0; i < full_runs; ++i) by_total[i] = i;
  std::sort(by_total.begin(), by_total.end(), [&](size_t a, size_t b) {
    return index_runs[a] + merge_runs[a] < index_runs[b] + merge_runs[b];
  });
  const size_t median = by_total[full_runs / 2];
  const double index_s = index_runs[median];
  const double full_merge_s = merge_runs[median];
  json full_total_runs = json::array();
  for (size_t i = 0; i < full_runs; ++i) full_total_runs.push_back(index_runs[i] + merge_runs[i]);

  // Incremental: source A's next snapshot with 1 % changed, as ViewPipeline::StartIngest: the
  // difference; the keys it touches and their records before it; the source's records and the
  // index changed; the touched keys merged.
  t = Clock::now();
  auto diff = sources.at("a").Compare(changed);
  // (The difference is applied to the source after the touched keys' records are taken: that
  // is timed with the merge.)
  const double diff_s = Seconds(t);
  t = Clock::now();
  const auto& changes = diff.update.changes;
  std::set<std::string> touched_set;
  std::vector<service::ViewIndex::KeyMove> moves = index.KeysOf(0, changes, touched_set);
  Touched touched;
  touched.keys.assign(touched_set.begin(), touched_set.end());
  const std::vector<const service::SourceRecords*> view_sources = {
      &sources.at("a"), &sources.at("b"), &sources.at("c")};
  index.AppendRecordsOf(touched_set, view_sources, touched.old_records, touched.old_records_at);
  sources.at("a").Apply(diff);
  for (size_t i = 0; i < changes.size(); ++i) index.Set(0, changes[i], std::move(moves[i]));
  const auto incremental = MergeKeys(index, sources, &touched, workers);
  const double incremental_merge_s = Seconds(t);

  json out = {{"records_per_source", n},
              {"workers", workers},
              {"generate_s", generate_s},
              {"load_s", load_s},
              {"index_s", index_s},
              {"full_merge_s", full_merge_s},
              {"full_total_s", index_s + full_merge_s},
              // Of full_merge_s, the pipeline thread's time reading and applying replies, and
              // waiting for them.
              {"full_apply_s", apply_runs[median]},
              {"full_wait_s", wait_runs[median]},
              {"full_total_runs_s", full_total_runs},
              {"view_keys", full.keys},
              {"merged_records", full.results},
              {"records_with_conflicts", full.conflicts},
              {"jobs", full.jobs},
              {"job_body_mib", static_cast<double>(full.body_bytes) / full.jobs / (1 << 20)},
              {"job_reply_mib", static_cast<double>(full.reply_bytes) / full.jobs / (1 << 20)},
              {"incremental_changed_records", diff.update.changes.size()},
              {"incremental_diff_s", diff_s},
              {"incremental_merge_s", incremental_merge_s},
              {"incremental_total_s", diff_s + incremental_merge_s},
              {"incremental_keys", incremental.keys},
              {"incremental_changes", incremental.results},
              {"peak_rss_inputs_mib", rss_inputs},
              {"peak_rss_mib", rss_full}};
  std::cout << out.dump(2) << std::endl;
  return 0;
}
