// bench/pool: the same 50 KiB HTML listing pages and selectors (title, every link, prices) sent
// through the worker pool end to end — frame, (memfd above the threshold), a real `tributary
// worker` process parsing with libxml2 and the CSS engine, records back as JSON — with 1 and
// with 2 worker processes. Prints one JSON object per pool size.
//   pool_bench TRIBUTARY_BINARY [pages] [workers...]
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "merge/pool/worker_pool.hpp"

namespace {

using tributary::merge::pool::Job;
using tributary::merge::pool::JobOutcome;
using tributary::merge::pool::PoolOptions;
using tributary::merge::pool::WorkerPool;

// A books-to-scrape-like listing page of about 50 KiB; `seed` varies titles and prices so that
// no two pages are identical.
std::string ListingPage(int seed) {
  std::string html =
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>All products | "
      "Page " +
      std::to_string(seed) +
      "</title><link rel=\"stylesheet\" href=\"/static/site.css\"></head><body>"
      "<header><nav><a href=\"/\">Home</a> <a href=\"/catalogue/\">Books</a></nav></header>"
      "<section><ol class=\"row\">";
  for (int i = 0; html.size() < 50 * 1024 - 600; ++i) {
    const std::string title = "Book " + std::to_string(seed) + "-" + std::to_string(i) +
                              ": A Tale of Rivers, Roads &amp; Small Towns";
    const int pence = 1000 + (seed * 7919 + i * 104729) % 5000;
    html +=
        "<li class=\"col\"><article class=\"product_pod\"><div class=\"image_container\">"
        "<a href=\"/catalogue/book-" +
        std::to_string(i) + "/index.html\"><img src=\"/media/" + std::to_string(i) +
        ".jpg\" alt=\"" + title +
        "\" class=\"thumbnail\"></a></div><p class=\"star-rating Three\"></p><h3><a "
        "href=\"/catalogue/book-" +
        std::to_string(i) + "/index.html\" title=\"" + title + "\">" + title.substr(0, 20) +
        "...</a></h3><div class=\"product_price\"><p class=\"price_color\">£" +
        std::to_string(pence / 100) + "." + std::to_string(10 + pence % 90) +
        "</p><p class=\"instock availability\"> In stock </p></div></article></li>";
  }
  html +=
      "</ol></section><footer><a href=\"/about\">About</a> <a href=\"/contact\">Contact</a>"
      "</footer></body></html>";
  return html;
}

nlohmann::json Source() {
  return {{"id", "bench"},
          {"url", "http://bench.invalid/catalogue/page-1.html"},
          {"format", "html"},
          {"records", "article.product_pod"},
          {"key", "title"},
          {"fields",
           {{"title", "h3 a::attr(title)"},
            {"links", {{"select", "a::attr(href)"}, {"type", "url"}, {"multiple", true}}},
            {"price", {{"select", "p.price_color::text"}, {"type", "number"}}}}}};
}

nlohmann::json RunPool(const std::string& binary, const std::vector<std::string>& pages,
                       int workers) {
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
  WorkerPool pool(io, options);
  pool.Start();
  const nlohmann::json meta = {{"job", "extract"},
                               {"source", Source()},
                               {"content_type", "text/html; charset=utf-8"},
                               {"final_url", "http://bench.invalid/catalogue/page-1.html"}};

  auto run = [&](size_t count) {
    std::vector<std::promise<JobOutcome>> done(count);
    for (size_t i = 0; i < count; ++i) {
      pool.Submit(Job{"bench", meta, pages[i % pages.size()]},
                  [&done, i](JobOutcome o) { done[i].set_value(std::move(o)); });
    }
    size_t records = 0;
    for (auto& d : done) {
      JobOutcome o = d.get_future().get();
      if (!o.reply || !(*o.reply)["ok"].get<bool>()) {
        std::fprintf(stderr, "job failed: %s\n",
                     o.failure ? o.failure->message.c_str() : o.reply->dump().c_str());
        std::exit(1);
      }
      records += (*o.reply)["records"].size();
    }
    return records;
  };
  run(std::min<size_t>(pages.size(), 20 * workers));  // warm-up: workers started, caches hot
  const auto start = std::chrono::steady_clock::now();
  const size_t records = run(pages.size());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  pool.Stop();
  guard.reset();
  thread.join();
  size_t bytes = 0;
  for (const auto& p : pages) bytes += p.size();
  return {{"workers", workers},
          {"pages", pages.size()},
          {"records", records},
          {"seconds", seconds},
          {"pages_per_s", pages.size() / seconds},
          {"mb_per_s", bytes / seconds / 1e6}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pool_bench TRIBUTARY_BINARY [pages] [workers...]\n");
    return 64;
  }
  const std::string binary = argv[1];
  const int count = argc > 2 ? std::atoi(argv[2]) : 2000;
  std::vector<int> sizes;
  for (int i = 3; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {1, 2};
  std::vector<std::string> pages;
  for (int i = 0; i < count; ++i) pages.push_back(ListingPage(i));
  for (int workers : sizes) std::printf("%s\n", RunPool(binary, pages, workers).dump().c_str());
  return 0;
}
