// bench/pool: the 50 KiB listing pages of bench/extract (made by bench/extract/make_pages.py
// from the shared corpus) and the same source definition (the title, every link, every price)
// sent through the worker pool end to end — frame, memfd above the threshold, a real
// `tributary worker` process parsing with libxml2 and the CSS engine, records back as JSON —
// with 1 and with 2 worker processes; each reply read into records as the daemon's pipeline
// reads it (ParseExtractReply: the records validated and kept as text; the daemon reads one
// into a tree only when it differs from the stored record). Prints one JSON object per pool
// size.
//   pool_bench TRIBUTARY_BINARY PAGES_DIR [jobs] [workers...]
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "merge/pool/worker_pool.hpp"
#include "merge/worker/jobs.hpp"

namespace {

using tributary::Result;
using tributary::merge::pool::Job;
using tributary::merge::pool::JobOutcome;
using tributary::merge::pool::PoolOptions;
using tributary::merge::pool::WorkerPool;
using tributary::merge::worker::ExtractReply;
using tributary::merge::worker::ParseExtractReply;

// The same definition as bench/extract/extract_bench.cpp: the whole page is one record.
nlohmann::json Source() {
  return nlohmann::json::parse(R"j({"id": "bench", "url": "http://bench.example/",
      "format": "html", "key": "title", "fields": {"title": "title::text",
      "links": {"select": "a::attr(href)", "multiple": true, "trim": false},
      "prices": {"select": "p.price_color::text", "multiple": true}}})j");
}

double ThreadCpuSeconds(std::thread& thread) {
  clockid_t clock{};
  timespec t{};
  if (pthread_getcpuclockid(thread.native_handle(), &clock) != 0 || clock_gettime(clock, &t) != 0)
    return 0;
  return t.tv_sec + t.tv_nsec / 1e9;
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::vector<std::string> LoadPages(const std::string& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<std::string> pages;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    pages.push_back(s.str());
  }
  return pages;
}

nlohmann::json RunPool(const std::string& binary, const std::vector<std::string>& pages,
                       size_t jobs, int workers) {
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::thread thread([&io] { io.run(); });
  PoolOptions options;
  options.worker_exe = binary;
  options.worker_args = {"worker", "--log-level", "warn"};
  options.processes = workers;
  options.job_timeout = std::chrono::seconds(60);
  options.limits.address_space = 1ull << 30;
  options.limits.cpu_seconds_per_job = 61;
  // POOL_BENCH_QUEUE_AHEAD=0: one request per worker at a time (for the comparison).
  if (const char* v = std::getenv("POOL_BENCH_QUEUE_AHEAD"); v != nullptr && *v == '0') {
    options.queue_ahead = false;
  }
  // POOL_BENCH_BODY_REGION=0: bodies through the workers' sockets (for the comparison).
  if (const char* v = std::getenv("POOL_BENCH_BODY_REGION"); v != nullptr && *v == '0') {
    options.body_region = false;
  }
  WorkerPool pool(io, options);
  pool.Start();
  // The request's text, as the daemon's MakeExtractRequest writes it from the source's
  // definition (which the config keeps as text).
  const std::string meta = nlohmann::json{{"job", "extract"},
                                          {"source", Source()},
                                          {"content_type", "text/html; charset=utf-8"},
                                          {"final_url", "http://bench.example/"}}
                               .dump();

  // Job i is page i modulo the page count.
  // The jobs are built before the clock starts: in the daemon a body arrives from its fetch
  // already owned and is moved into its job, so copying pages here would time the harness.
  auto make_jobs = [&](size_t count) {
    std::vector<Job> made;
    made.reserve(count);
    for (size_t i = 0; i < count; ++i) made.push_back(Job{"bench", meta, pages[i % pages.size()]});
    return made;
  };
  // Every record's fields text, kept to count the links once the clock has stopped.
  std::vector<std::string> texts;
  auto run = [&](std::vector<Job> made) {
    const size_t count = made.size();
    std::vector<std::promise<JobOutcome>> done(count);
    for (size_t i = 0; i < count; ++i) {
      pool.Submit(std::move(made[i]),
                  [&done, i](JobOutcome o) { done[i].set_value(std::move(o)); });
    }
    texts.clear();
    texts.reserve(count);
    for (auto& d : done) {
      JobOutcome o = d.get_future().get();
      // As the daemon's pipeline does with each reply.
      auto extracted = o.reply ? ParseExtractReply(std::move(*o.reply), o.body)
                               : Result<ExtractReply>(*o.failure);
      if (!extracted) {
        std::fprintf(stderr, "job failed: %s\n", extracted.error().message.c_str());
        std::exit(1);
      }
      for (auto& r : extracted->records) texts.push_back(std::move(r.fields_text));
    }
  };
  run(make_jobs(std::min<size_t>(jobs, 20 * workers)));  // warm-up: workers started, caches hot
  std::vector<Job> timed = make_jobs(jobs);
  const double cpu_before = ProcessCpuSeconds();
  const double io_before = ThreadCpuSeconds(thread);
  const auto start = std::chrono::steady_clock::now();
  run(std::move(timed));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // The daemon's side of the pool (this process: sending, receiving, parsing replies), which
  // shares the cores with the workers.
  const double daemon_cpu = ProcessCpuSeconds() - cpu_before;
  // Of which the pool's own thread (the rest is this harness waiting for each job's result).
  const double io_cpu = ThreadCpuSeconds(thread) - io_before;
  size_t links = 0;
  for (const auto& text : texts) {
    links += nlohmann::json::parse(text).value("links", nlohmann::json::array()).size();
  }
  pool.Stop();
  guard.reset();
  thread.join();
  size_t bytes = 0;
  for (size_t i = 0; i < jobs; ++i) bytes += pages[i % pages.size()].size();
  return {{"workers", workers},
          {"jobs", jobs},
          {"links", links},
          {"seconds", seconds},
          {"pages_per_s", jobs / seconds},
          {"daemon_cpu_us_per_job", daemon_cpu * 1e6 / static_cast<double>(jobs)},
          {"pool_thread_cpu_us_per_job", io_cpu * 1e6 / static_cast<double>(jobs)},
          {"mb_per_s", bytes / seconds / 1e6}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: pool_bench TRIBUTARY_BINARY PAGES_DIR [jobs] [workers...]\n");
    return 64;
  }
  const std::string binary = argv[1];
  const std::vector<std::string> pages = LoadPages(argv[2]);
  if (pages.empty()) {
    std::fprintf(stderr, "no pages in %s\n", argv[2]);
    return 2;
  }
  const size_t jobs = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 2000;
  std::vector<int> sizes;
  for (int i = 4; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {1, 2};
  for (int workers : sizes)
    std::printf("%s\n", RunPool(binary, pages, jobs, workers).dump().c_str());
  return 0;
}
