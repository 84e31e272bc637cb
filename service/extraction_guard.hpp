#pragma once
// The daemon's extraction jobs, guarded by the quarantine. A document whose extraction lost a
// worker on every attempt (crash, hang, memory exhaustion, protocol violation) is quarantined
// by its content hash, together with the hash of the source definition it was parsed with: it
// is not parsed again until either changes, and the source reports
// "quarantined: worker killed by signal 11 (Segmentation fault) twice". Quarantines are kept
// in the store, so a restarted daemon does not feed a known-hostile document to its workers.
// It also counts, per source, the jobs and the worker losses by cause (API and /metrics).
//
// The state lives here rather than in the pool because it is per source and per document, and
// the pool knows neither; the pool reports why it lost the job (JobOutcome::cause).
// Thread safety: every method may be called from any thread (one mutex). Store writes are
// posted to the writer thread; `done` callbacks run on the pool's thread, or inside Extract()
// when the document is quarantined.

#include <array>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "merge/pool/worker_pool.hpp"
#include "service/storage/store.hpp"

namespace tributary::service {

struct SourceExtractionStats {
  uint64_t jobs = 0;       // extraction jobs given to the pool
  uint64_t completed = 0;  // a worker replied (with records or with an extraction error)
  uint64_t failed = 0;     // no worker could complete it
  uint64_t retried = 0;    // jobs that lost a worker and were sent to a fresh one
  std::array<uint64_t, merge::pool::kFailureCauseCount> losses{};  // workers lost, by cause
  uint64_t quarantines = 0;                                        // documents quarantined
  uint64_t skipped = 0;  // parses skipped because the document is quarantined
  // The source's latest document is quarantined (set by a quarantine or a skipped parse,
  // cleared when a document of the source is parsed again).
  std::optional<storage::QuarantineEntry> current;
  size_t quarantined_documents = 0;  // entries kept for the source
};

class ExtractionGuard {
 public:
  using Callback = merge::pool::WorkerPool::Callback;

  // At most this many quarantined documents are remembered per source (the oldest go first).
  static constexpr size_t kMaxEntriesPerSource = 16;

  ExtractionGuard(merge::pool::WorkerPool& pool, boost::asio::io_context& writer_io,
                  storage::Store& store);

  // Reads the persisted quarantines (blocking; call before the first Extract).
  Status Load();

  // Runs `job` (an extract job of source `source_id`, whose definition is `definition`) in the
  // pool, unless the document (job.body) is quarantined: then `done` gets at once a failure
  // "quarantined: <reason>" (class source_broken, with the original cause) and no worker sees
  // the document. A job lost on every attempt quarantines its document, and its failure
  // message becomes "quarantined: <the pool's message>".
  void Extract(const std::string& source_id, std::string_view definition, merge::pool::Job job,
               Callback done);

  SourceExtractionStats SourceStats(const std::string& source_id) const;
  std::map<std::string, SourceExtractionStats> AllSourceStats() const;
  // The "extraction" member of GET /api/v1/sources/{id}.
  nlohmann::json SourceJson(const std::string& source_id) const;

  // Hex digest of `bytes` (XXH3-128: documents are hashed at memory speed on the pipeline).
  static std::string Hash(std::string_view bytes);

 private:
  struct SourceState {
    SourceExtractionStats stats;
    // Oldest first; at most kMaxEntriesPerSource. A vector, not a deque: an empty deque
    // allocates ~600 bytes, for each of thousands of sources that never had a quarantine.
    std::vector<storage::QuarantineEntry> entries;
  };

  void OnOutcome(const std::string& source_id, const std::string& content_hash,
                 const std::string& definition_hash, merge::pool::JobOutcome& outcome);
  void Persist(storage::QuarantineEntry entry, bool save);

  merge::pool::WorkerPool& pool_;
  boost::asio::io_context& writer_io_;
  storage::Store& store_;

  mutable std::mutex mu_;
  std::map<std::string, SourceState> sources_;  // Guarded by mu_.
};

}  // namespace tributary::service
