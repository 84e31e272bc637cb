#pragma once
// SqliteConnection: RAII owner of one sqlite3 handle, opened read-write (creating the file) or
// read-only, with extended result codes and a busy timeout. Every failure comes back as an
// Error naming the operation and SQLite's message (see sqlite_error.hpp).
// Thread safety: none. Opened with SQLITE_OPEN_NOMUTEX, so one thread at a time uses it; the
// owner (writer mutex, reader pool lease) guarantees that.

#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "service/storage/sqlite_statement.hpp"

namespace tributary::storage {

class SqliteConnection {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // How long a statement waits for a lock held by another connection before SQLITE_BUSY.
  static constexpr int kBusyTimeoutMs = 5000;

  static Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path, Mode mode);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Runs one or more statements, discarding rows.
  Status Exec(const std::string& sql, std::string_view operation);
  // Prepares one statement.
  Result<SqliteStatement> Prepare(std::string_view sql, std::string_view operation);
  // Runs a query that returns a single value (first column of the first row); for PRAGMAs and
  // counts. An empty result is 0.
  Result<int64_t> QueryInt(std::string_view sql, std::string_view operation);
  Result<std::string> QueryText(std::string_view sql, std::string_view operation);

  // True between BEGIN and COMMIT/ROLLBACK (including a transaction SQLite left open).
  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  // Constant after construction.
  sqlite3* const db_;
  const std::string path_;
};

}  // namespace tributary::storage
