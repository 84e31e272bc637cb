#include "service/storage/sqlite_error.hpp"

#include <string>

namespace tributary::storage {

bool IsRetryableSqliteCode(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_INTERRUPT:
      return true;
    default:
      return false;
  }
}

Error SqliteError(sqlite3* db, int rc, std::string_view operation) {
  // sqlite3_errmsg is more specific ("no such table: x") but only describes the most recent
  // failure on the handle; fall back to the generic text when the codes disagree.
  const char* detail = sqlite3_errstr(rc);
  if (db != nullptr && (sqlite3_extended_errcode(db) & 0xff) == (rc & 0xff)) {
    detail = sqlite3_errmsg(db);
  }
  std::string message(operation);
  message += ": ";
  message += detail;
  return IsRetryableSqliteCode(rc) ? Error::Retryable(std::move(message))
                                   : Error::Permanent(std::move(message));
}

}  // namespace tributary::storage
