#pragma once
// Durable state: the last snapshot of every source, every view's merged records, and the fetch
// log. Narrow on purpose so that a PostgreSQL backend can follow the SQLite one.
// Thread safety: writes (Commit*, Replace*) are serialised by the caller on one writer thread;
// reads may run concurrently from any thread (each on its own connection).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/time.hpp"
#include "merge/record.hpp"

namespace tributary::storage {

// One fetch attempt as the API reports it.
struct FetchLog {
  std::string source_id;
  SystemTime started;
  long http_status = 0;
  int64_t duration_ms = 0;
  uint64_t bytes = 0;
  std::optional<uint64_t> record_count;  // set when extraction ran
  std::string error;                     // empty on success
  std::string error_class;               // "retryable", "permanent", "source_broken" or empty
};

struct ViewPage {
  std::vector<merge::MergedRecord> records;
  std::string next_cursor;  // empty at the end
};

class Store {
 public:
  virtual ~Store() = default;

  // Records one fetch attempt; when `snapshot` is non-null the source's stored records are
  // replaced by it. One transaction: after a crash either all of it is stored or none.
  virtual Status CommitFetch(const FetchLog& fetch, const merge::SourceSnapshot* snapshot) = 0;

  // Replaces a view's merged records (one transaction).
  virtual Status ReplaceViewRecords(const std::string& view_id,
                                    const std::vector<merge::MergedRecord>& records) = 0;

  // The most recent fetch attempt of a source, if any.
  virtual Result<std::optional<FetchLog>> LastFetch(const std::string& source_id) = 0;

  // The stored snapshot of a source (empty records and epoch time when never fetched).
  virtual Result<merge::SourceSnapshot> LoadSnapshot(const std::string& source_id) = 0;

  // A page of a view's records ordered by key. `cursor` is empty for the first page, or the
  // next_cursor of the previous page (opaque to clients). Invalid cursors are kPermanent errors.
  virtual Result<ViewPage> ViewRecords(const std::string& view_id, const std::string& cursor,
                                       size_t limit) = 0;

  // Number of records stored for a view.
  virtual Result<uint64_t> CountViewRecords(const std::string& view_id) = 0;

  // True when the store can currently write (for /readyz).
  virtual bool Writable() = 0;
};

// Opens (creating if needed) the SQLite store in `data_dir` (tributary.db, WAL mode) and runs
// pending schema migrations.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir);

}  // namespace tributary::storage
