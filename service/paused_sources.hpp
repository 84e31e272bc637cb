#pragma once
// The sources an administrator paused (POST /api/v1/sources/{id}/pause): their scheduled slots
// pass without a fetch until they are resumed. Stored (Store::SetSourcePaused) before the
// in-memory set changes, so a restart keeps a paused source paused, and a pause the store could
// not record is reported instead of being silently lost at the next restart.
// Thread safety: all methods may be called from any thread; Set calls are serialised so the
// store and the in-memory set agree.

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "common/time.hpp"
#include "service/storage/store.hpp"

namespace tributary::service {

class PausedSources {
 public:
  // Reads the paused sources of an earlier run.
  Status Load(storage::Store& store) {
    auto stored = store.PausedSources();
    if (!stored) return stored.error();
    std::lock_guard lock(mu_);
    since_.clear();
    for (auto& [id, since] : *stored) since_.emplace(std::move(id), since);
    return Status::Ok();
  }

  Status Set(storage::Store& store, const std::string& id, bool paused) {
    std::lock_guard set_lock(set_mu_);
    const SystemTime now = std::chrono::system_clock::now();
    if (Status s = store.SetSourcePaused(id, paused, now); !s) return s;
    std::lock_guard lock(mu_);
    if (paused) {
      since_.emplace(id, now);  // keeps the first pause's time, as the store does
    } else {
      since_.erase(id);
    }
    return Status::Ok();
  }

  bool Contains(const std::string& id) const {
    std::lock_guard lock(mu_);
    return since_.count(id) != 0;
  }

  // When the source was paused; nullopt when it is not.
  std::optional<SystemTime> Since(const std::string& id) const {
    std::lock_guard lock(mu_);
    auto it = since_.find(id);
    if (it == since_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::mutex set_mu_;  // one Set at a time (store write, then memory)
  mutable std::mutex mu_;
  std::map<std::string, SystemTime> since_;  // Guarded by mu_.
};

}  // namespace tributary::service
