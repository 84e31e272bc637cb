#pragma once
// Turns SQLite result codes into our Error values, "<operation>: <sqlite3_errmsg>", classified
// retryable when waiting or freeing space can help (disk full, I/O error, busy, locked, out of
// memory) and permanent otherwise (corrupt file, constraint, misuse, read-only ...).

#include <sqlite3.h>

#include <string_view>

#include "common/result.hpp"

namespace tributary::storage {

// True for result codes (primary or extended) that a later retry can get past.
bool IsRetryableSqliteCode(int rc);

// Must be called right after the failing call, before anything else runs on `db`, so that
// sqlite3_errmsg still describes this failure. `db` may be null (no handle yet).
Error SqliteError(sqlite3* db, int rc, std::string_view operation);

}  // namespace tributary::storage
