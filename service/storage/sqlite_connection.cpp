#include "service/storage/sqlite_connection.hpp"

#include "service/storage/sqlite_error.hpp"

namespace tributary::storage {

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path,
                                                                 Mode mode) {
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  flags |=
      mode == Mode::kReadWrite ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error error = SqliteError(db, rc, "open database " + path);
    sqlite3_close_v2(db);  // the handle is allocated even when opening fails
    return error;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  return std::unique_ptr<SqliteConnection>(new SqliteConnection(db, path));
}

SqliteConnection::~SqliteConnection() {
  // _v2: statements still alive (there should be none) keep the handle until they finalize.
  sqlite3_close_v2(db_);
}

Status SqliteConnection::Exec(const std::string& sql, std::string_view operation) {
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, operation);
  return Status::Ok();
}

Result<SqliteStatement> SqliteConnection::Prepare(std::string_view sql,
                                                  std::string_view operation) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return SqliteError(db_, rc, operation);
  }
  return SqliteStatement(stmt);
}

Result<int64_t> SqliteConnection::QueryInt(std::string_view sql, std::string_view operation) {
  auto stmt = Prepare(sql, operation);
  if (!stmt.ok()) return stmt.error();
  if (Status s = stmt->Step(operation); !s) return s.error();
  return stmt->HasRow() ? stmt->Int(0) : 0;
}

Result<std::string> SqliteConnection::QueryText(std::string_view sql, std::string_view operation) {
  auto stmt = Prepare(sql, operation);
  if (!stmt.ok()) return stmt.error();
  if (Status s = stmt->Step(operation); !s) return s.error();
  return stmt->HasRow() ? stmt->Text(0) : std::string();
}

}  // namespace tributary::storage
