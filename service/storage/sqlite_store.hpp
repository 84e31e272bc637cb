#pragma once
// SqliteStore: the Store on one SQLite database (data_dir/tributary.db) in WAL mode.
// One writer connection, guarded by a mutex although the caller already serialises writes on
// one thread; reads lease read-only connections from a pool, so reads from any thread run
// concurrently, see only committed state and never wait for a write in progress.
// Every write is one IMMEDIATE transaction, rolled back on any error: a failed write (disk
// full, I/O error) leaves what was stored before intact.
// Thread safety: all methods may be called from any thread.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "service/storage/reader_pool.hpp"
#include "service/storage/sqlite_connection.hpp"
#include "service/storage/store.hpp"

namespace tributary::storage {

class SqliteStore final : public Store {
 public:
  static constexpr const char* kFileName = "tributary.db";
  // The fetch log keeps this many of the latest fetches per source.
  static constexpr int kFetchLogPerSource = 100;

  // Creates data_dir if missing, opens or creates the database and applies pending migrations.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& data_dir);

  Status CommitFetch(const FetchLog& fetch, const merge::SourceSnapshot* snapshot) override;
  Status ReplaceViewRecords(const std::string& view_id,
                            const std::vector<merge::MergedRecord>& records) override;
  Result<std::optional<FetchLog>> LastFetch(const std::string& source_id) override;
  Result<merge::SourceSnapshot> LoadSnapshot(const std::string& source_id) override;
  Result<ViewPage> ViewRecords(const std::string& view_id, const std::string& cursor,
                               size_t limit) override;
  Result<uint64_t> CountViewRecords(const std::string& view_id) override;
  Result<uint64_t> CountViewConflicts(const std::string& view_id) override;
  // Commits a heartbeat update; may wait for a write in progress.
  bool Writable() override;
  std::optional<uint64_t> CommittedGeneration() const override {
    return generation_.load(std::memory_order_acquire);
  }
  // fetch_history.cpp
  Result<std::vector<FetchLog>> RecentFetches(const std::string& source_id, size_t limit) override;
  // webhook_cursors.cpp
  Result<std::optional<int64_t>> WebhookCursor(const std::string& webhook_id) override;
  Status SetWebhookCursor(const std::string& webhook_id, int64_t seq) override;
  Result<std::vector<std::pair<std::string, SystemTime>>> PausedSources() override;
  Status SetSourcePaused(const std::string& source_id, bool paused, SystemTime now) override;
  // history_store.cpp (issue 5)
  Result<CommitReceipt> CommitIngest(const IngestBatch& batch) override;
  Result<std::vector<StoredRecord>> LoadSourceRecords(const std::string& source_id) override;
  // view_reads.cpp (issue 5): reads of merged records and coverage.
  Result<std::map<std::string, SystemTime>> SourceFetchTimes() override;
  Result<std::optional<std::string>> ViewDefinition(const std::string& view_id) override;
  Result<std::vector<ViewKey>> LoadViewKeys(const std::string& view_id) override;
  Result<std::optional<merge::MergedRecord>> ViewRecord(const std::string& view_id,
                                                        const std::string& key) override;
  Result<std::optional<merge::MergedRecord>> ViewRecordAsOf(const std::string& view_id,
                                                            const std::string& key,
                                                            SystemTime as_of) override;
  Result<std::vector<Change>> RecordHistory(const std::string& view_id,
                                            const std::string& source_id, const std::string& key,
                                            size_t limit) override;
  Result<ViewCoverage> Coverage(const std::string& view_id) override;
  Result<std::vector<std::string>> CoverageKeys(const std::string& view_id,
                                                const std::vector<std::string>& sources,
                                                const std::string& after_key,
                                                size_t limit) override;
  Result<ViewPage> ViewConflicts(const std::string& view_id, const std::string& cursor,
                                 size_t limit) override;
  Result<PruneOutcome> PruneHistory(std::optional<SystemTime> older_than,
                                    std::optional<int64_t> max_versions, size_t batch,
                                    std::optional<int64_t> keep_after) override;
  Result<ChangePage> ChangesSince(int64_t after_seq, size_t limit,
                                  const ChangeFilter& filter) override;
  Result<int64_t> LatestChangeSeq() override;
  void SetChangeListener(std::function<void(int64_t latest_seq)> listener) override;
  // validators.cpp (issue 3)
  Result<std::optional<FetchValidators>> LoadValidators(const std::string& source_id,
                                                        const std::string& url) override;
  // quarantine_store.cpp
  Status SaveQuarantine(const QuarantineEntry& entry) override;
  Status DeleteQuarantine(const QuarantineEntry& entry) override;
  Result<std::vector<QuarantineEntry>> LoadQuarantines() override;

  const std::string& db_path() const { return db_path_; }
  // Schema migrations applied when this store was opened (0 when it was up to date).
  int migrations_applied() const { return migrations_applied_; }

  // Test hook: runs `sql` on the writer connection, e.g. "PRAGMA max_page_count = 1" to make
  // the next growing write fail as on a full disk.
  Status ExecForTesting(const std::string& sql);

 private:
  SqliteStore(std::string db_path, std::unique_ptr<SqliteConnection> writer,
              int migrations_applied);

  // Steps of CommitFetch, inside its transaction on the writer connection.
  Status InsertFetch(const FetchLog& fetch, const std::string& op);
  Status ReplaceSnapshot(const merge::SourceSnapshot& snapshot, const std::string& op);
  // Step of InsertFetch (validators.cpp): replaces the source's validators.
  Status SaveValidators(const FetchValidators& validators, const std::string& op);
  // Steps of CommitIngest (history_store.cpp), inside its transaction.
  Status ApplySourceUpdate(const SourceUpdate& update, const std::string& op);
  Status ApplyViewUpdate(const ViewUpdate& update, SystemTime time, const std::string& op);
  // The changes of one view (`view_id`; ViewChanges, with their merged records) or of one
  // source (`source_id`; ChangeTexts); the other id is empty.
  template <class ChangeRow>
  Status InsertChanges(const std::string& view_id, const std::string& source_id,
                       const std::vector<ChangeRow>& changes, SystemTime time,
                       const std::string& op, CommitReceipt& receipt);

  // Constant after construction.
  const std::string db_path_;
  const int migrations_applied_;

  // Bumped by the writer connection's WAL hook, after each commit (CommittedGeneration). Declared
  // before writer_, so it outlives the connection whose hook holds its address.
  std::atomic<uint64_t> generation_{1};

  std::mutex writer_mu_;
  // Guarded by writer_mu_.
  std::unique_ptr<SqliteConnection> writer_;

  ReaderPool readers_;  // thread-safe itself

  // Set once before writes start (SetChangeListener); called on the writer thread.
  std::function<void(int64_t)> change_listener_;

  std::atomic<bool> last_writable_{true};  // to log only changes of Writable()
};

}  // namespace tributary::storage
