#include "service/run_once.hpp"

#include <boost/asio/post.hpp>
#include <functional>
#include <future>
#include <iostream>

#include "common/log.hpp"
#include "merge/pool/worker_process.hpp"
#include "merge/worker/jobs.hpp"
#include "service/component_options.hpp"
#include "service/io_thread.hpp"
#include "service/page_run.hpp"

namespace tributary::service {
namespace {

merge::pool::JobOutcome RunJob(merge::pool::WorkerPool& pool, merge::pool::Job job) {
  std::promise<merge::pool::JobOutcome> p;
  auto f = p.get_future();
  pool.Submit(std::move(job), [&p](merge::pool::JobOutcome o) { p.set_value(std::move(o)); });
  return f.get();
}

}  // namespace

int RunOnce(const config::Config& config) {
  IoThread pool_thread("pool");
  merge::pool::WorkerPool pool(pool_thread.io(),
                               MakePoolOptions(config, merge::pool::SelfExecutablePath()));
  pool.Start();
  fetchers::Fetcher fetcher(fetchers::FetcherOptions{config.fetch.io_threads});

  // Fetch everything concurrently; extraction runs in the pool as results arrive. A source's
  // pages (pagination) are fetched one after the other and form one snapshot.
  struct SourceRun {
    std::promise<void> done;
    fetchers::FetchResult fetch;  // the latest page
    std::optional<Error> error;
    merge::SourceSnapshot snapshot;
    std::unique_ptr<PageRun> pages;
    uint64_t bytes = 0;
  };
  std::vector<SourceRun> runs(config.sources.size());
  auto finish = [&](size_t i) {
    auto& run = runs[i];
    run.snapshot = {config.sources[i].id, run.fetch.started, run.pages->TakeRecords()};
    run.done.set_value();
  };
  std::function<void(size_t, const std::string&)> fetch_page;
  fetch_page = [&](size_t i, const std::string& url) {
    auto request = MakeFetchRequest(config, config.sources[i]);
    request.url = url;
    fetcher.Fetch(std::move(request), [&, i](fetchers::FetchResult result) {
      auto& run = runs[i];
      run.bytes += result.bytes;
      if (result.error && run.pages->pages() > 0 &&
          result.error->error_class == ErrorClass::kPermanent) {
        finish(i);  // a later page that is gone ends the pagination
        return;
      }
      run.fetch = std::move(result);
      if (run.fetch.error) {
        run.error = run.fetch.error;
        run.done.set_value();
        return;
      }
      merge::pool::Job job{"source=" + config.sources[i].id,
                           merge::worker::MakeExtractRequest(
                               config.sources[i], run.fetch.content_type, run.fetch.final_url),
                           run.fetch.body};
      pool.Submit(std::move(job), [&, i](merge::pool::JobOutcome outcome) {
        auto& r = runs[i];
        auto extracted = outcome.failure ? Result<merge::worker::ExtractReply>(*outcome.failure)
                                         : merge::worker::ParseExtractReply(
                                               std::move(*outcome.reply), outcome.body);
        if (!extracted) {
          r.error = extracted.error();
          r.done.set_value();
          return;
        }
        const auto next = r.pages->AddPage(std::move(extracted->records), extracted->next_url,
                                           r.fetch.headers);
        if (next) {
          fetch_page(i, *next);
        } else {
          finish(i);
        }
      });
    });
  };
  for (size_t i = 0; i < config.sources.size(); ++i) {
    runs[i].pages = std::make_unique<PageRun>(config.sources[i]);
    fetch_page(i, runs[i].pages->first_url());
  }
  for (auto& run : runs) run.done.get_future().wait();
  fetcher.Stop();

  nlohmann::json out = {{"sources", nlohmann::json::object()}, {"views", nlohmann::json::object()}};
  std::vector<merge::SourceSnapshot> snapshots;
  bool all_ok = true;
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& id = config.sources[i].id;
    nlohmann::json s = {{"http_status", runs[i].fetch.status},
                        {"bytes", runs[i].bytes},
                        {"duration_ms", runs[i].fetch.duration.count()}};
    if (runs[i].error) {
      all_ok = false;
      s["error"] = runs[i].error->message;
      Logger("main")->error("source={} failed: {}", id, runs[i].error->message);
    } else {
      s["record_count"] = runs[i].snapshot.records.size();
      s["pages"] = runs[i].pages->pages();
      snapshots.push_back(std::move(runs[i].snapshot));
    }
    out["sources"][id] = std::move(s);
  }

  for (const auto& view : config.views) {
    auto outcome =
        RunJob(pool, {"view=" + view.id,
                      merge::worker::MakeMergeRequest(view, snapshots)
                          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                      {}});
    auto merged = outcome.failure ? Result<std::vector<merge::MergedRecord>>(*outcome.failure)
                                  : merge::worker::ParseMergeReply(*outcome.reply);
    nlohmann::json v = {{"records", nlohmann::json::array()}};
    if (merged) {
      for (const auto& r : *merged) v["records"].push_back(merge::ToJson(r));
    } else {
      all_ok = false;
      v["error"] = merged.error().message;
      Logger("merge")->error("view={} merge failed: {}", view.id, merged.error().message);
    }
    out["views"][view.id] = std::move(v);
  }
  pool.Stop();
  std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  return all_ok ? 0 : 3;
}

}  // namespace tributary::service
