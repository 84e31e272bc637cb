// The fetch engine alone, as the daemon drives it: every URL of a list is handed to one
// Fetcher (curl multi on Asio shards, politeness groups by host), bodies are hashed (XXH3) on
// the I/O thread and dropped. Prints one JSON line: pages, seconds, pages/s, MB/s, failures.
//   fetch_bench urls.txt [concurrency per host] [io threads]
//   fetch_bench --hosts N [io threads]   prints N loopback addresses spread evenly over shards
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fetchers/fetcher.hpp"
#include "fetchers/url_host.hpp"

namespace {

using tributary::fetchers::Fetcher;
using tributary::fetchers::FetchRequest;
using tributary::fetchers::FetchResult;

// Loopback addresses whose host groups land evenly on the shards (a group lives on one shard,
// so the benchmark's few hosts should not all share one I/O thread by chance).
int PrintHosts(size_t n, size_t shards) {
  std::vector<size_t> per_shard(shards, 0);
  const size_t each = (n + shards - 1) / shards;
  size_t printed = 0;
  for (int last = 1; last < 255 && printed < n; ++last) {
    const std::string address = "127.0.0." + std::to_string(last);
    const size_t shard = tributary::fetchers::ShardIndexFor("host:" + address, shards);
    if (per_shard[shard] >= each) continue;
    ++per_shard[shard];
    ++printed;
    std::cout << address << "\n";
  }
  return printed == n ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "--hosts") {
    return PrintHosts(std::stoul(argv[2]), argc > 3 ? std::stoul(argv[3]) : 2);
  }
  if (argc < 2) {
    std::cerr << "usage: fetch_bench urls.txt [concurrency per host] [io threads]\n";
    return 2;
  }
  std::vector<std::string> urls;
  {
    std::ifstream in(argv[1]);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) urls.push_back(line);
    }
  }
  const int concurrency = argc > 2 ? std::stoi(argv[2]) : 16;
  const int threads = argc > 3 ? std::stoi(argv[3]) : 2;

  Fetcher fetcher(tributary::fetchers::FetcherOptions{threads});
  std::mutex mu;
  std::condition_variable cv;
  size_t done = 0;         // Guarded by mu.
  std::string first_error;  // Guarded by mu.
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> failures{0};
  std::atomic<uint64_t> digest{0};

  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < urls.size(); ++i) {
    FetchRequest r;
    r.source_id = "bench-" + std::to_string(i);
    r.url = urls[i];
    r.allow_private_networks = true;
    r.group.concurrency = concurrency;
    r.retry.attempts = 1;
    fetcher.Fetch(std::move(r), [&](FetchResult result) {
      // What the daemon's pipeline would do with an unchanged body: hash it, keep nothing.
      digest.fetch_xor(XXH3_64bits(result.body.data(), result.body.size()),
                       std::memory_order_relaxed);
      bytes.fetch_add(result.body.size(), std::memory_order_relaxed);
      const bool failed = result.error || result.status != 200;
      if (failed) failures.fetch_add(1, std::memory_order_relaxed);
      std::lock_guard lock(mu);
      if (failed && first_error.empty()) {
        first_error = result.error ? result.error->message : "HTTP " + std::to_string(result.status);
      }
      if (++done == urls.size()) cv.notify_one();
    });
  }
  const double submit_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done == urls.size(); });
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fetcher.Stop();
  if (!first_error.empty()) std::cerr << "fetch_bench: first failure: " << first_error << "\n";
  std::cout << nlohmann::json{{"pages", urls.size()},
                              {"seconds", seconds},
                              {"pages_per_s", static_cast<double>(urls.size()) / seconds},
                              {"mb_per_s", static_cast<double>(bytes.load()) / 1e6 / seconds},
                              {"failures", failures.load()},
                              {"submit_seconds", submit_seconds},
                              {"concurrency_per_host", concurrency},
                              {"io_threads", threads}}
                   .dump()
            << std::endl;
  return failures.load() == 0 ? 0 : 1;
}
