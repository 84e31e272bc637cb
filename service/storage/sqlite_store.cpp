#include "service/storage/sqlite_store.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

#include "common/json_parse.hpp"
#include "common/json_text.hpp"
#include "common/log.hpp"
#include "service/storage/migrations.hpp"
#include "service/storage/record_rows.hpp"
#include "service/storage/transaction.hpp"

namespace tributary::storage {
namespace {

// Read-only connections kept open between reads; more open on demand under load.
constexpr size_t kMaxIdleReaders = 8;

std::string Quoted(const std::string& text) { return CanonicalJson(nlohmann::json(text)); }

}  // namespace

// Columns: key, fields_json, sources_json, provenance_json, conflicts_json. Decodes without
// exceptions: a malformed row is reported, not thrown.
Result<merge::MergedRecord> MergedRecordFromRow(const SqliteStatement& row, const std::string& op) {
  merge::MergedRecord r;
  r.key = row.Text(0);
  auto fields = ParseJsonOrDiscarded(row.Text(1));
  const auto sources = ParseJsonOrDiscarded(row.Text(2));
  const auto provenance = ParseJsonOrDiscarded(row.Text(3));
  // (A provenance in the shared form is a list: merge::MergedRecordText::provenance.)
  if (fields.is_discarded() || !sources.is_array() ||
      !(provenance.is_object() || merge::IsSharedProvenance(provenance))) {
    return Error::Permanent(op + ": stored record " + Quoted(r.key) + " is malformed");
  }
  r.fields = std::move(fields);
  for (const auto& s : sources) {
    if (s.is_string()) r.sources.push_back(s.get<std::string>());
  }
  r.provenance = merge::ProvenanceFromJson(provenance, r.fields);
  r.conflicts = merge::ConflictsFromJson(ParseJsonOrDiscarded(row.Text(4)));
  return r;
}

namespace {

// Sets the connection up for the writer. journal_mode=WAL lets readers on other connections
// see the last commit without waiting for a write in progress (and is persistent in the file).
Status ConfigureWriter(SqliteConnection& conn) {
  const std::string op = "configure database " + conn.path();
  if (sqlite3_db_readonly(conn.handle(), "main") == 1) {
    return Error::Permanent(op + ": the file is read-only");
  }
  auto mode = conn.QueryText("PRAGMA journal_mode=WAL", op);
  if (!mode.ok()) return mode.error();
  if (*mode != "wal") {
    return Error::Permanent(op + ": cannot use WAL mode (journal_mode is " + *mode + ")");
  }
  // synchronous=FULL: in WAL mode NORMAL may lose the last commits on power loss. A committed
  // fetch must stay committed, since the scheduler, the API and conditional requests (ETag)
  // act on it; one fsync per commit is cheap at our write rate.
  return conn.Exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", op);
}

// WAL frames after which a commit checkpoints: SQLite's own default (wal_autocheckpoint).
constexpr int kAutoCheckpointFrames = 1000;

// The writer's WAL hook: SQLite calls it after each commit, once the commit is visible to other
// connections. It counts the commit (CommittedGeneration) and does what the default hook it
// replaces did: a passive checkpoint once the log holds kAutoCheckpointFrames frames.
int OnWalCommit(void* generation, sqlite3* db, const char* database, int frames) {
  static_cast<std::atomic<uint64_t>*>(generation)->fetch_add(1, std::memory_order_acq_rel);
  if (frames >= kAutoCheckpointFrames) sqlite3_wal_checkpoint(db, database);
  return SQLITE_OK;
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir) {
  auto store = SqliteStore::Open(data_dir);
  if (!store.ok()) return store.error();
  return std::unique_ptr<Store>(std::move(store).value());
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& data_dir) {
  if (data_dir.empty()) return Error::Permanent("open store: data_dir is empty");
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return Error::Permanent("create data directory " + data_dir + ": " + ec.message());
  if (!std::filesystem::is_directory(data_dir, ec)) {
    return Error::Permanent("data directory " + data_dir + " is not a directory");
  }
  const std::string path = (std::filesystem::path(data_dir) / kFileName).string();

  auto writer = SqliteConnection::Open(path, SqliteConnection::Mode::kReadWrite);
  if (!writer.ok()) return writer.error();
  if (Status s = ConfigureWriter(**writer); !s) return s.error();
  auto migrated = RunMigrations(**writer, SchemaMigrations());
  if (!migrated.ok()) return migrated.error();

  auto log = Logger("store");
  if (migrated->applied > 0) {
    log->info("migrated {} from schema version {} to {} ({} steps)", path, migrated->from_version,
              migrated->to_version, migrated->applied);
  }
  log->info("opened {} (schema version {})", path, migrated->to_version);
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(path, std::move(writer).value(), migrated->applied));
}

SqliteStore::SqliteStore(std::string db_path, std::unique_ptr<SqliteConnection> writer,
                         int migrations_applied)
    : db_path_(std::move(db_path)),
      migrations_applied_(migrations_applied),
      writer_(std::move(writer)),
      readers_(db_path_, kMaxIdleReaders) {
  sqlite3_wal_hook(writer_->handle(), &OnWalCommit, &generation_);
}

Status SqliteStore::CommitFetch(const FetchLog& fetch, const merge::SourceSnapshot* snapshot) {
  const std::string op = "commit fetch for source " + fetch.source_id;
  if (snapshot != nullptr && snapshot->source_id != fetch.source_id) {
    return Error::Permanent(op + ": snapshot is for source " + snapshot->source_id);
  }
  std::lock_guard lock(writer_mu_);
  Transaction txn(*writer_, op);
  if (Status s = txn.Begin(Transaction::Kind::kImmediate); !s) return s;
  if (Status s = InsertFetch(fetch, op); !s) return s;
  if (snapshot != nullptr) {
    if (Status s = ReplaceSnapshot(*snapshot, op); !s) return s;
  }
  return txn.Commit();
}

Status SqliteStore::InsertFetch(const FetchLog& fetch, const std::string& op) {
  auto insert = writer_->Prepare(
      "INSERT INTO fetches (source_id, started_ms, http_status, duration_ms, bytes, "
      "record_count, error, error_class, outcome, bytes_saved) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
      op);
  if (!insert.ok()) return insert.error();
  insert->Bind(1, fetch.source_id);
  insert->Bind(2, ToUnixMillis(fetch.started));
  insert->Bind(3, static_cast<int64_t>(fetch.http_status));
  insert->Bind(4, fetch.duration_ms);
  insert->Bind(5, static_cast<int64_t>(fetch.bytes));
  if (fetch.record_count) {
    insert->Bind(6, static_cast<int64_t>(*fetch.record_count));
  } else {
    insert->BindNull(6);
  }
  insert->Bind(7, fetch.error);
  insert->Bind(8, fetch.error_class);
  insert->Bind(9, fetch.outcome);
  insert->Bind(10, static_cast<int64_t>(fetch.bytes_saved));
  if (Status s = insert->Run(op); !s) return s;
  // A failed run (fetch, extraction, health check or merge) keeps the previous validators: the
  // next fetch must not be skipped against a snapshot that was never stored.
  if (fetch.validators && fetch.error.empty()) {
    if (Status s = SaveValidators(*fetch.validators, op); !s) return s;
  }

  // Ids only grow (the newest row of a source is never deleted), so the rows past the latest
  // kFetchLogPerSource by id are the oldest ones.
  auto trim = writer_->Prepare(
      "DELETE FROM fetches WHERE source_id = ?1 AND id <= (SELECT id FROM fetches WHERE "
      "source_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
      op);
  if (!trim.ok()) return trim.error();
  trim->Bind(1, fetch.source_id);
  trim->Bind(2, static_cast<int64_t>(kFetchLogPerSource));
  return trim->Run(op);
}

Status SqliteStore::ReplaceSnapshot(const merge::SourceSnapshot& snapshot, const std::string& op) {
  auto erase = writer_->Prepare("DELETE FROM source_records WHERE source_id = ?1", op);
  if (!erase.ok()) return erase.error();
  erase->Bind(1, snapshot.source_id);
  if (Status s = erase->Run(op); !s) return s;

  // A duplicate key keeps the last record (and is counted once).
  auto insert = writer_->Prepare(
      "INSERT INTO source_records (source_id, key, fields_json) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (source_id, key) DO UPDATE SET fields_json = excluded.fields_json",
      op);
  if (!insert.ok()) return insert.error();
  std::string fields_text;  // scratch for records without their text
  for (const merge::Record& record : snapshot.records) {
    insert->Reset();
    insert->Bind(1, snapshot.source_id);
    insert->Bind(2, record.key);
    insert->Bind(3, merge::FieldsTextOf(record, fields_text));
    if (Status s = insert->Run(op); !s) return s;
  }

  auto meta = writer_->Prepare(
      "INSERT INTO source_snapshots (source_id, fetched_ms, record_count) VALUES (?1, ?2, "
      "(SELECT count(*) FROM source_records WHERE source_id = ?1)) ON CONFLICT (source_id) "
      "DO UPDATE SET fetched_ms = excluded.fetched_ms, record_count = excluded.record_count",
      op);
  if (!meta.ok()) return meta.error();
  meta->Bind(1, snapshot.source_id);
  meta->Bind(2, ToUnixMillis(snapshot.fetched_at));
  return meta->Run(op);
}

Status SqliteStore::ReplaceViewRecords(const std::string& view_id,
                                       const std::vector<merge::MergedRecord>& records) {
  const std::string op = "replace records of view " + view_id;
  std::lock_guard lock(writer_mu_);
  Transaction txn(*writer_, op);
  if (Status s = txn.Begin(Transaction::Kind::kImmediate); !s) return s;
  {
    auto erase = writer_->Prepare("DELETE FROM view_records WHERE view_id = ?1", op);
    if (!erase.ok()) return erase.error();
    erase->Bind(1, view_id);
    if (Status s = erase->Run(op); !s) return s;

    auto insert = writer_->Prepare(
        "INSERT INTO view_records (view_id, key, fields_json, sources_json, provenance_json, "
        "conflicts_json, has_conflicts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT (view_id, key) DO UPDATE SET "
        "fields_json = excluded.fields_json, sources_json = excluded.sources_json, "
        "provenance_json = excluded.provenance_json, conflicts_json = excluded.conflicts_json, "
        "has_conflicts = excluded.has_conflicts",
        op);
    if (!insert.ok()) return insert.error();
    for (const merge::MergedRecord& record : records) {
      const merge::MergedRecordText text = merge::RenderText(record);  // as the daemon stores it
      insert->Reset();
      insert->Bind(1, view_id);
      insert->Bind(2, record.key);
      insert->Bind(3, text.fields);
      insert->Bind(4, text.sources);
      insert->Bind(5, text.provenance);
      insert->Bind(6, text.conflicts);
      insert->Bind(7, static_cast<int64_t>(text.has_conflicts ? 1 : 0));
      if (Status s = insert->Run(op); !s) return s;
    }
  }
  return txn.Commit();
}

Result<std::optional<FetchLog>> SqliteStore::LastFetch(const std::string& source_id) {
  const std::string op = "read last fetch of source " + source_id;
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  auto query = (*lease)->Prepare(
      "SELECT started_ms, http_status, duration_ms, bytes, record_count, error, error_class, "
      "outcome, bytes_saved FROM fetches WHERE source_id = ?1 ORDER BY id DESC LIMIT 1",
      op);
  if (!query.ok()) return query.error();
  query->Bind(1, source_id);
  if (Status s = query->Step(op); !s) return s.error();
  if (!query->HasRow()) return std::optional<FetchLog>();
  FetchLog fetch;
  fetch.source_id = source_id;
  fetch.started = FromUnixMillis(query->Int(0));
  fetch.http_status = static_cast<long>(query->Int(1));
  fetch.duration_ms = query->Int(2);
  fetch.bytes = static_cast<uint64_t>(query->Int(3));
  if (!query->IsNull(4)) fetch.record_count = static_cast<uint64_t>(query->Int(4));
  fetch.error = query->Text(5);
  fetch.error_class = query->Text(6);
  fetch.outcome = query->Text(7);
  fetch.bytes_saved = static_cast<uint64_t>(query->Int(8));
  return std::optional<FetchLog>(std::move(fetch));
}

Result<merge::SourceSnapshot> SqliteStore::LoadSnapshot(const std::string& source_id) {
  const std::string op = "load snapshot of source " + source_id;
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  SqliteConnection& conn = **lease;
  merge::SourceSnapshot snapshot;
  snapshot.source_id = source_id;

  // One read transaction: the snapshot row and its records come from the same commit.
  Transaction txn(conn, op);
  if (Status s = txn.Begin(Transaction::Kind::kDeferred); !s) return s.error();
  {
    auto meta = conn.Prepare("SELECT fetched_ms FROM source_snapshots WHERE source_id = ?1", op);
    if (!meta.ok()) return meta.error();
    meta->Bind(1, source_id);
    if (Status s = meta->Step(op); !s) return s.error();
    if (!meta->HasRow()) return snapshot;
    snapshot.fetched_at = FromUnixMillis(meta->Int(0));

    auto rows = conn.Prepare(
        "SELECT key, fields_json FROM source_records WHERE source_id = ?1 ORDER BY key", op);
    if (!rows.ok()) return rows.error();
    rows->Bind(1, source_id);
    for (;;) {
      if (Status s = rows->Step(op); !s) return s.error();
      if (!rows->HasRow()) break;
      merge::Record record;
      record.key = rows->Text(0);
      record.fields = ParseJsonOrDiscarded(rows->Text(1));
      if (record.fields.is_discarded()) {
        return Error::Permanent(op + ": stored fields of key " + Quoted(record.key) +
                                " are not valid JSON");
      }
      snapshot.records.push_back(std::move(record));
    }
  }
  if (Status s = txn.Commit(); !s) return s.error();
  return snapshot;
}

Result<uint64_t> SqliteStore::CountViewRecords(const std::string& view_id) {
  const std::string op = "count records of view " + view_id;
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  auto query = (*lease)->Prepare("SELECT count(*) FROM view_records WHERE view_id = ?1", op);
  if (!query.ok()) return query.error();
  query->Bind(1, view_id);
  if (Status s = query->Step(op); !s) return s.error();
  return static_cast<uint64_t>(query->Int(0));
}

Result<uint64_t> SqliteStore::CountViewConflicts(const std::string& view_id) {
  const std::string op = "count conflicts of view " + view_id;
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  // Answered from the view_records_with_conflicts index: the cost is the number of conflicts.
  auto query = (*lease)->Prepare(
      "SELECT count(*) FROM view_records WHERE view_id = ?1 AND has_conflicts = 1", op);
  if (!query.ok()) return query.error();
  query->Bind(1, view_id);
  if (Status s = query->Step(op); !s) return s.error();
  return static_cast<uint64_t>(query->Int(0));
}

bool SqliteStore::Writable() {
  const Status status = [this]() -> Status {
    std::lock_guard lock(writer_mu_);
    Transaction txn(*writer_, "heartbeat write to " + db_path_);
    if (Status s = txn.Begin(Transaction::Kind::kImmediate); !s) return s;
    {
      auto beat =
          writer_->Prepare("UPDATE heartbeat SET beat_ms = ?1 WHERE id = 1", txn.operation());
      if (!beat.ok()) return beat.error();
      beat->Bind(1, ToUnixMillis(std::chrono::system_clock::now()));
      if (Status s = beat->Run(txn.operation()); !s) return s;
    }
    return txn.Commit();
  }();
  // Log changes only: /readyz probes call this every few seconds.
  if (last_writable_.exchange(status.ok()) != status.ok()) {
    if (status.ok()) {
      Logger("store")->info("{} is writable again", db_path_);
    } else {
      Logger("store")->error("not writable: {}", status.error().message);
    }
  }
  return status.ok();
}

Status SqliteStore::ExecForTesting(const std::string& sql) {
  std::lock_guard lock(writer_mu_);
  return writer_->Exec(sql, "exec for testing");
}

}  // namespace tributary::storage
