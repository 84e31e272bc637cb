#pragma once
// Versioned schema migrations. The schema is an ordered list of steps in code, versions 1..N;
// `schema_migrations(version, applied_at)` records which were applied. Each pending step runs
// in its own IMMEDIATE transaction together with its schema_migrations row, so a step is
// applied exactly once and a failed step leaves the database at the previous version.
// A database whose version is newer than the code knows is refused: an older binary must not
// write to a schema it does not understand.

#include <span>

#include "common/result.hpp"
#include "service/storage/sqlite_connection.hpp"

namespace tributary::storage {

struct Migration {
  int version;              // 1, 2, 3 ... in order, never renumbered
  const char* description;  // for logs and errors
  const char* sql;          // one or more statements; never edit a released step, add one
};

// The migrations of this build, in order.
std::span<const Migration> SchemaMigrations();
int LatestSchemaVersion();

struct MigrationOutcome {
  int from_version = 0;
  int to_version = 0;
  int applied = 0;  // steps applied by this run
};

// Brings the database on `conn` (a read-write connection) up to the last of `steps`.
Result<MigrationOutcome> RunMigrations(SqliteConnection& conn, std::span<const Migration> steps);

// The version recorded in schema_migrations (0 when the table is empty).
Result<int> CurrentSchemaVersion(SqliteConnection& conn);

}  // namespace tributary::storage
