#pragma once
// robots.txt per origin ("https://example.com:8443"), fetched once and kept until it expires.
// While one fetch of an origin's robots.txt is in progress, every other request for that origin
// waits for it instead of fetching it again; waiters are called by whoever stores the answer.
// Thread safety: all methods may be called from any thread; waiters run on the caller of
// Store/Release, outside the lock.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/time.hpp"
#include "fetchers/robots_rules.hpp"

namespace tributary::fetchers {

class RobotsCache {
 public:
  // `rules` is set when robots.txt was read; otherwise `error` says why no verdict exists.
  using Waiter = std::function<void(std::shared_ptr<const RobotsRules> rules, const Error* error)>;
  enum class Lookup {
    kReady,    // `rules` holds the cached rules
    kPending,  // another fetch is in progress; `waiter` will be called
    kFetch,    // the caller must fetch robots.txt, then Store or Release; `waiter` is queued
  };

  Lookup Find(const std::string& origin, SystemTime now, std::shared_ptr<const RobotsRules>& rules,
              Waiter waiter);
  // Caches `rules` until `expires` and calls the waiters with them.
  void Store(const std::string& origin, std::shared_ptr<const RobotsRules> rules,
             SystemTime expires);
  // No verdict this time (the fetch was not sent): the waiters get `error`; nothing is cached.
  void Release(const std::string& origin, const Error& error);

  size_t size() const;

 private:
  struct Entry {
    std::shared_ptr<const RobotsRules> rules;
    SystemTime expires;
    bool pending = false;
    std::vector<Waiter> waiters;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // Guarded by mu_.
};

}  // namespace tributary::fetchers
