#include "fetchers/robots_cache.hpp"

namespace tributary::fetchers {

RobotsCache::Lookup RobotsCache::Find(const std::string& origin, SystemTime now,
                                      std::shared_ptr<const RobotsRules>& rules, Waiter waiter) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[origin];
  if (e.rules && now < e.expires) {
    rules = e.rules;
    return Lookup::kReady;
  }
  e.waiters.push_back(std::move(waiter));
  if (e.pending) return Lookup::kPending;
  e.pending = true;
  return Lookup::kFetch;
}

void RobotsCache::Store(const std::string& origin, std::shared_ptr<const RobotsRules> rules,
                        SystemTime expires) {
  std::vector<Waiter> waiters;
  {
    std::lock_guard lock(mu_);
    Entry& e = entries_[origin];
    e.rules = rules;
    e.expires = expires;
    e.pending = false;
    waiters.swap(e.waiters);
  }
  for (auto& w : waiters) w(rules, nullptr);
}

void RobotsCache::Release(const std::string& origin, const Error& error) {
  std::vector<Waiter> waiters;
  {
    std::lock_guard lock(mu_);
    Entry& e = entries_[origin];
    e.pending = false;
    waiters.swap(e.waiters);
  }
  for (auto& w : waiters) w(nullptr, &error);
}

size_t RobotsCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace tributary::fetchers
