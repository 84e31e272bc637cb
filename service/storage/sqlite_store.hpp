#pragma once
// SqliteStore: the Store on one SQLite database (data_dir/tributary.db) in WAL mode.
// One writer connection, guarded by a mutex although the caller already serialises writes on
// one thread; reads lease read-only connections from a pool, so reads from any thread run
// concurrently, see only committed state and never wait for a write in progress.
// Every write is one IMMEDIATE transaction, rolled back on any error: a failed write (disk
// full, I/O error) leaves what was stored before intact.
// Thread safety: all methods may be called from any thread.

#include <atomic>
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
  // Commits a heartbeat update; may wait for a write in progress.
  bool Writable() override;

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

  // Constant after construction.
  const std::string db_path_;
  const int migrations_applied_;

  std::mutex writer_mu_;
  // Guarded by writer_mu_.
  std::unique_ptr<SqliteConnection> writer_;

  ReaderPool readers_;  // thread-safe itself

  std::atomic<bool> last_writable_{true};  // to log only changes of Writable()
};

}  // namespace tributary::storage
