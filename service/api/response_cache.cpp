#include "service/api/response_cache.hpp"

namespace tributary::service::api {

ResponseCache::ResponseCache(size_t max_bytes, const std::string& name) : max_bytes_(max_bytes) {
  if (name.empty()) return;
  auto& registry = metrics::DefaultRegistry();
  auto& lookups = registry.CounterFamily(
      "tributary_api_cache_lookups_total",
      "Lookups in the API's caches of rendered pages and compressed bodies, by outcome.",
      {"cache", "outcome"});
  hits_metric_ = &lookups.With({name, "hit"});
  misses_metric_ = &lookups.With({name, "miss"});
  bytes_metric_ = &registry
                       .GaugeFamily("tributary_api_cache_bytes",
                                    "Bytes held by the API's caches, with bookkeeping.", {"cache"})
                       .With({name});
}

std::optional<Response> ResponseCache::Find(const std::string& key, uint64_t generation,
                                            const void* config) {
  std::shared_ptr<const Response> found;
  {
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end() || it->second->generation != generation ||
        it->second->config.get() != config) {
      ++stats_.misses;
      if (misses_metric_) misses_metric_->Inc();
      return std::nullopt;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    ++stats_.hits;
    if (hits_metric_) hits_metric_->Inc();
    found = it->second->response;
  }
  return *found;  // the copy outside the lock
}

void ResponseCache::Store(const std::string& key, uint64_t generation,
                          std::shared_ptr<const void> config, const Response& response) {
  const size_t bytes = key.size() + response.body().size() + 512;  // 512: headers, bookkeeping
  if (bytes > max_bytes_ / 4) return;  // one page may not push out everything else
  auto stored = std::make_shared<const Response>(response);
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    // Keep the newer of the two (another thread may have stored a later generation).
    if (it->second->generation > generation) return;
    bytes_ -= it->second->bytes;
    lru_.erase(it->second);
    index_.erase(it);
  }
  EvictTo(max_bytes_ - bytes);
  lru_.push_front(Entry{key, generation, std::move(config), std::move(stored), bytes});
  index_[key] = lru_.begin();
  bytes_ += bytes;
  if (bytes_metric_) bytes_metric_->Set(static_cast<double>(bytes_));
}

void ResponseCache::EvictTo(size_t bytes) {
  while (bytes_ > bytes && !lru_.empty()) {
    bytes_ -= lru_.back().bytes;
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

ResponseCache::Stats ResponseCache::stats() const {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.entries = lru_.size();
  s.bytes = bytes_;
  return s;
}

}  // namespace tributary::service::api
