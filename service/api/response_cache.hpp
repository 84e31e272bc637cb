#pragma once
// Rendered read responses kept while the data they were rendered from is unchanged: a page of
// records costs a store read, JSON building and rendering, while dashboards and scripts ask for
// the same pages again and again. An entry is valid only for the store generation
// (Store::CommittedGeneration) read before it was computed and for the configuration it was
// computed under; any commit or reload makes it stale. Bounded by bytes, least recently used
// entries go first. The router also keeps compressed bodies in one, by entity tag (generation
// 0 and no configuration: a body's gzip never goes stale). A named cache counts its lookups and
// bytes in the default metrics registry (tributary_api_cache_lookups_total{cache,outcome},
// tributary_api_cache_bytes{cache}).
// Thread safety: every member is safe to call from any thread.
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "service/api/router.hpp"
#include "service/metrics/registry.hpp"

namespace tributary::service::api {

class ResponseCache {
 public:
  // `name`: the `cache` label of its metrics; empty: no metrics.
  explicit ResponseCache(size_t max_bytes, const std::string& name = "");

  // The response stored under `key` for this generation and configuration (compared by
  // identity; an entry holds its configuration, so that no other one can take its address).
  std::optional<Response> Find(const std::string& key, uint64_t generation, const void* config);
  // Stores a response (a 200) computed from data of `generation`.
  void Store(const std::string& key, uint64_t generation, std::shared_ptr<const void> config,
             const Response& response);

  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    size_t entries = 0;
    size_t bytes = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    std::string key;
    uint64_t generation;
    std::shared_ptr<const void> config;
    std::shared_ptr<const Response> response;
    size_t bytes;
  };
  void EvictTo(size_t bytes);  // needs mu_

  const size_t max_bytes_;
  // The cache's metrics, or null when it has no name.
  metrics::Counter* hits_metric_ = nullptr;
  metrics::Counter* misses_metric_ = nullptr;
  metrics::Gauge* bytes_metric_ = nullptr;
  mutable std::mutex mu_;
  // Guarded by mu_: most recently used first.
  std::list<Entry> lru_;
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  size_t bytes_ = 0;
  Stats stats_;
};

}  // namespace tributary::service::api
