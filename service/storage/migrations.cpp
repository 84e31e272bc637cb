#include "service/storage/migrations.hpp"

#include <array>
#include <chrono>
#include <string>

#include "common/time.hpp"
#include "service/storage/transaction.hpp"

namespace tributary::storage {
namespace {

constexpr std::array kMigrations = {
    Migration{1, "initial schema", R"sql(
CREATE TABLE fetches (
  id INTEGER PRIMARY KEY,
  source_id TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  http_status INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  record_count INTEGER NULL,
  error TEXT NOT NULL DEFAULT '',
  error_class TEXT NOT NULL DEFAULT ''
);
CREATE INDEX fetches_by_source ON fetches (source_id, id);

CREATE TABLE source_records (
  source_id TEXT NOT NULL,
  key TEXT NOT NULL,
  fields_json TEXT NOT NULL,
  PRIMARY KEY (source_id, key)
);
CREATE TABLE source_snapshots (
  source_id TEXT PRIMARY KEY,
  fetched_ms INTEGER NOT NULL,
  record_count INTEGER NOT NULL
);

CREATE TABLE view_records (
  view_id TEXT NOT NULL,
  key TEXT NOT NULL COLLATE BINARY,
  fields_json TEXT NOT NULL,
  sources_json TEXT NOT NULL,
  provenance_json TEXT NOT NULL,
  PRIMARY KEY (view_id, key)
);
)sql"},
    // Writable() updates this single row: a real write, which a bare BEGIN IMMEDIATE; ROLLBACK
    // would not prove (it only takes the lock).
    Migration{2, "writability heartbeat", R"sql(
CREATE TABLE heartbeat (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  beat_ms INTEGER NOT NULL
);
INSERT INTO heartbeat (id, beat_ms) VALUES (1, 0);
)sql"},
    // Webhooks resume after a restart from the last change they delivered (at-least-once).
    Migration{3, "webhook delivery cursors", R"sql(
CREATE TABLE webhook_cursors (
  webhook_id TEXT PRIMARY KEY,
  delivered_seq INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
)sql"},
    // Documents that killed a worker on every attempt are not parsed again after a restart.
    Migration{4, "quarantined documents", R"sql(
CREATE TABLE quarantine (
  source_id TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  definition_hash TEXT NOT NULL,
  reason TEXT NOT NULL,
  cause TEXT NOT NULL,
  since_ms INTEGER NOT NULL,
  PRIMARY KEY (source_id, content_hash, definition_hash)
);
)sql"},
    // Merge and history (issue 5): conflicts on view records, the change log (gap-free seq:
    // AUTOINCREMENT numbers are never reused, and a rolled-back commit takes its numbers back),
    // every view key with its sources (coverage), and the definition each view was merged with.
    Migration{5, "merge history", R"sql(
ALTER TABLE view_records ADD COLUMN conflicts_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE view_records ADD COLUMN has_conflicts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX view_records_with_conflicts ON view_records (view_id, has_conflicts, key);
ALTER TABLE source_records ADD COLUMN changed_ms INTEGER NOT NULL DEFAULT 0;

CREATE TABLE changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms INTEGER NOT NULL,
  view_id TEXT NOT NULL DEFAULT '',
  source_id TEXT NOT NULL DEFAULT '',
  key TEXT NOT NULL,
  op TEXT NOT NULL,
  before_json TEXT NOT NULL,
  after_json TEXT NOT NULL,
  fields_json TEXT NOT NULL,
  record_json TEXT NULL
);
CREATE INDEX changes_by_record ON changes (view_id, source_id, key, seq);
CREATE INDEX changes_by_time ON changes (time_ms);

CREATE TABLE view_keys (
  view_id TEXT NOT NULL,
  key TEXT NOT NULL,
  sources_json TEXT NOT NULL,
  duplicates_json TEXT NULL,
  PRIMARY KEY (view_id, key)
);
CREATE INDEX view_keys_by_sources ON view_keys (view_id, sources_json, key);

CREATE TABLE view_state (
  view_id TEXT PRIMARY KEY,
  definition_json TEXT NOT NULL,
  merged_ms INTEGER NOT NULL
);
)sql"},
    // A source an administrator paused stays paused across restarts (issue 6).
    Migration{6, "paused sources", R"sql(
CREATE TABLE paused_sources (
  source_id TEXT PRIMARY KEY,
  since_ms INTEGER NOT NULL
);
)sql"},
    // Conditional requests (issue 3): one row per source (its single URL), replaced with every
    // extracted response; the fetch log says how each response was used.
    Migration{7, "fetch validators", R"sql(
CREATE TABLE fetch_validators (
  source_id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  etag TEXT NOT NULL,
  last_modified TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  body_bytes INTEGER NOT NULL,
  wire_bytes INTEGER NOT NULL,
  definition_hash TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
);
ALTER TABLE fetches ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE fetches ADD COLUMN bytes_saved INTEGER NOT NULL DEFAULT 0;
)sql"},
    // Records of a view's sources without a value for the view key, for coverage. Views merged
    // before this step have none stored, and their `latest` fields were chosen by the time a
    // record last changed rather than by the source's latest fetch: forgetting the definitions
    // they were merged with makes the next start recompute each of them once (only records that
    // really differ produce changes).
    Migration{8, "keyless view records", R"sql(
CREATE TABLE view_keyless (
  view_id TEXT NOT NULL,
  source_id TEXT NOT NULL,
  key TEXT NOT NULL,
  PRIMARY KEY (view_id, source_id, key)
);
DELETE FROM view_state;
)sql"},
    // No table changes: what the stored texts may hold from this version on, which a build
    // before it would misread — a view record's provenance in the shared form (one entry in a
    // list for every field: merge::MergedRecordText::provenance), an added view change's field
    // diff left for the reader to spell out (storage::ChangeText::fields). The version tells
    // such a build to refuse the database instead.
    Migration{9, "shared provenance and added diffs in stored texts", R"sql(
SELECT 1;
)sql"},
};

constexpr bool VersionsAreConsecutive() {
  for (size_t i = 0; i < kMigrations.size(); ++i) {
    if (kMigrations[i].version != static_cast<int>(i) + 1) return false;
  }
  return true;
}
static_assert(VersionsAreConsecutive(), "migration versions must be 1, 2, 3 ... in order");

}  // namespace

std::span<const Migration> SchemaMigrations() { return kMigrations; }

int LatestSchemaVersion() { return static_cast<int>(kMigrations.size()); }

Result<int> CurrentSchemaVersion(SqliteConnection& conn) {
  auto version = conn.QueryInt("SELECT coalesce(max(version), 0) FROM schema_migrations",
                               "read schema version of " + conn.path());
  if (!version.ok()) return version.error();
  return static_cast<int>(*version);
}

Result<MigrationOutcome> RunMigrations(SqliteConnection& conn, std::span<const Migration> steps) {
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].version != static_cast<int>(i) + 1) {
      return Error::Permanent("schema migrations: step " + std::to_string(i + 1) + " has version " +
                              std::to_string(steps[i].version));
    }
  }
  const int latest = static_cast<int>(steps.size());

  if (Status s = conn.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                           "version INTEGER PRIMARY KEY, applied_at TEXT)",
                           "create schema_migrations in " + conn.path());
      !s) {
    return s.error();
  }
  auto current = CurrentSchemaVersion(conn);
  if (!current.ok()) return current.error();

  MigrationOutcome outcome;
  outcome.from_version = *current;
  outcome.to_version = *current;
  if (*current > latest) {
    return Error::Permanent("database " + conn.path() + " has schema version " +
                            std::to_string(*current) + ", newer than this build knows (" +
                            std::to_string(latest) +
                            "); refusing to open it: upgrade tributary or use another data_dir");
  }

  for (const Migration& step : steps) {
    if (step.version <= outcome.to_version) continue;
    Transaction txn(conn, "apply schema migration " + std::to_string(step.version) + " (" +
                              step.description + ") to " + conn.path());
    if (Status s = txn.Begin(Transaction::Kind::kImmediate); !s) return s.error();
    // Re-read under the write lock: another process may have migrated since we looked.
    auto now_at = CurrentSchemaVersion(conn);
    if (!now_at.ok()) return now_at.error();
    if (*now_at >= step.version) {
      outcome.to_version = *now_at;
      continue;
    }
    if (Status s = conn.Exec(step.sql, txn.operation()); !s) return s.error();
    {
      auto record = conn.Prepare(
          "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)", txn.operation());
      if (!record.ok()) return record.error();
      record->Bind(1, static_cast<int64_t>(step.version));
      record->Bind(2, FormatRfc3339(std::chrono::system_clock::now()));
      if (Status s = record->Run(txn.operation()); !s) return s.error();
    }
    if (Status s = txn.Commit(); !s) return s.error();
    outcome.to_version = step.version;
    ++outcome.applied;
  }
  return outcome;
}

}  // namespace tributary::storage
