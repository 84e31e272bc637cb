#include "fetchers/fetcher.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "fetchers/shard.hpp"
#include "fetchers/url_host.hpp"

namespace tributary::fetchers {
namespace {

// curl_global_init exactly once per process, thread-safely (a function-local static), before
// the first handle exists; never cleaned up, as other threads may still use libcurl at exit.
void EnsureCurlGlobalInit() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) {
    throw std::runtime_error(std::string("curl_global_init failed: ") + curl_easy_strerror(rc));
  }
}

}  // namespace

Fetcher::Fetcher(const FetcherOptions& options) {
  EnsureCurlGlobalInit();
  const int shards = std::max(1, options.io_threads);
  shards_.reserve(static_cast<size_t>(shards));
  for (int i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>(i));
}

Fetcher::~Fetcher() { Stop(); }

void Fetcher::Fetch(FetchRequest request, Callback done) {
  Shard& shard = *shards_[ShardIndexFor(request.url, shards_.size())];
  shard.Submit(std::move(request), std::move(done));
}

void Fetcher::Stop() {
  // Every shard starts cancelling at once; then they are joined one by one.
  for (auto& shard : shards_) shard->RequestStop();
  for (auto& shard : shards_) shard->Join();
}

size_t Fetcher::InFlight() const {
  size_t total = 0;
  for (const auto& shard : shards_) total += shard->InFlight();
  return total;
}

}  // namespace tributary::fetchers
