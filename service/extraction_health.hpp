#pragma once
// Extraction health per source: what the last run extracted (records, pages, how often each
// field was filled) and whether its record count fell by more than the source's
// health.max_drop against the last good run. A flagged run keeps the previous snapshot unless
// the source says health.keep_previous: false. Read by the API (GET /api/v1/sources/{id}).
// Thread safety: every member may be called from any thread (one mutex).

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/time.hpp"
#include "config/config.hpp"

namespace tributary::service {

class ExtractionHealth {
 public:
  struct Verdict {
    bool flagged = false;
    bool keep_previous = false;  // flagged and the previous snapshot stays
    std::string reason;          // why it was flagged
  };

  // True when the last good count of `source_id` is known (seeded or from a run).
  bool Known(const std::string& source_id) const;
  // The last good run's record count, from the stored snapshot at start-up.
  void Seed(const std::string& source_id, uint64_t records);

  // Judges a successful run and records it. `stats`: the run's summed extraction statistics
  // ("filled" per field ...).
  Verdict Evaluate(const config::SourceConfig& source, SystemTime at, uint64_t records, int pages,
                   bool truncated, const nlohmann::json& stats);

  // {"last_run": {...}, "last_good": {...}} or null when nothing is known.
  nlohmann::json SourceJson(const std::string& source_id) const;

 private:
  struct State {
    std::optional<uint64_t> last_good;
    std::optional<SystemTime> last_good_at;
    // As JSON text, empty before the first run: one allocation per source, where the tree
    // took twenty (read only by GET /api/v1/sources/{id}).
    std::string last_run;
  };

  mutable std::mutex mu_;
  std::map<std::string, State> sources_;  // Guarded by mu_
};

}  // namespace tributary::service
