// SqliteStore: merge results and the change history (issue 5). Writes run on the writer
// connection in one IMMEDIATE transaction each; reads lease reader connections.
#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "common/json_parse.hpp"
#include "common/json_text.hpp"
#include "service/storage/record_rows.hpp"
#include "service/storage/sqlite_store.hpp"
#include "service/storage/transaction.hpp"

namespace tributary::storage {
namespace {

constexpr size_t kMaxRows = 1'000'000;

std::string StringList(const std::vector<std::string>& items) {
  return CanonicalJson(nlohmann::json(items));
}

std::vector<std::string> StringsOf(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& s : j) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

// Columns: seq, time_ms, view_id, source_id, key, op, before_json, after_json, fields_json.
Change ChangeFromRow(const SqliteStatement& row) {
  Change c;
  c.seq = row.Int(0);
  c.time = FromUnixMillis(row.Int(1));
  c.view_id = row.Text(2);
  c.source_id = row.Text(3);
  c.key = row.Text(4);
  c.op = row.Text(5);
  c.before = ParseJsonOr(row.Text(6), nullptr);
  c.after = ParseJsonOr(row.Text(7), nullptr);
  const std::string fields = row.Text(8);
  c.fields = fields.empty() && c.op == "added" ? merge::AddedFieldDiff(c.after)
                                               : ParseJsonOr(fields, nlohmann::json::object());
  return c;
}

constexpr const char* kChangeColumns =
    "seq, time_ms, view_id, source_id, key, op, before_json, after_json, fields_json";

}  // namespace

Result<CommitReceipt> SqliteStore::CommitIngest(const IngestBatch& batch) {
  const std::string who = batch.source  ? "source " + batch.source->source_id
                          : batch.fetch ? "source " + batch.fetch->source_id
                                        : "views";
  const std::string op = "commit ingest for " + who;
  CommitReceipt receipt;
  {
    std::lock_guard lock(writer_mu_);
    Transaction txn(*writer_, op);
    if (Status s = txn.Begin(Transaction::Kind::kImmediate); !s) return s.error();
    if (batch.fetch) {
      if (Status s = InsertFetch(*batch.fetch, op); !s) return s.error();
    }
    if (batch.source) {
      if (Status s = ApplySourceUpdate(*batch.source, op); !s) return s.error();
      if (Status s = InsertChanges(std::string(), batch.source->source_id, batch.source->changes,
                                   batch.time, op, receipt);
          !s) {
        return s.error();
      }
    }
    for (const ViewUpdate& view : batch.views) {
      if (Status s = ApplyViewUpdate(view, batch.time, op); !s) return s.error();
      if (Status s =
              InsertChanges(view.view_id, std::string(), view.changes, batch.time, op, receipt);
          !s) {
        return s.error();
      }
    }
    if (Status s = txn.Commit(); !s) return s.error();
  }
  if (receipt.last_seq != 0 && change_listener_) change_listener_(receipt.last_seq);
  return receipt;
}

Status SqliteStore::ApplySourceUpdate(const SourceUpdate& update, const std::string& op) {
  {
    auto erase =
        writer_->Prepare("DELETE FROM source_records WHERE source_id = ?1 AND key = ?2", op);
    if (!erase.ok()) return erase.error();
    for (const auto& key : update.removed) {
      erase->Reset();
      erase->Bind(1, update.source_id);
      erase->Bind(2, key);
      if (Status s = erase->Run(op); !s) return s;
    }
  }
  {
    auto upsert = writer_->Prepare(
        "INSERT INTO source_records (source_id, key, fields_json, changed_ms) VALUES "
        "(?1, ?2, ?3, ?4) ON CONFLICT (source_id, key) DO UPDATE SET "
        "fields_json = excluded.fields_json, changed_ms = excluded.changed_ms",
        op);
    if (!upsert.ok()) return upsert.error();
    for (const auto& r : update.upserts) {
      upsert->Reset();
      upsert->Bind(1, update.source_id);
      upsert->Bind(2, r.key);
      upsert->Bind(3, r.fields_text);
      upsert->Bind(4, ToUnixMillis(r.changed_at));
      if (Status s = upsert->Run(op); !s) return s;
    }
  }
  auto meta = writer_->Prepare(
      "INSERT INTO source_snapshots (source_id, fetched_ms, record_count) VALUES (?1, ?2, "
      "(SELECT count(*) FROM source_records WHERE source_id = ?1)) ON CONFLICT (source_id) "
      "DO UPDATE SET fetched_ms = excluded.fetched_ms, record_count = excluded.record_count",
      op);
  if (!meta.ok()) return meta.error();
  meta->Bind(1, update.source_id);
  meta->Bind(2, ToUnixMillis(update.fetched_at));
  return meta->Run(op);
}

Status SqliteStore::ApplyViewUpdate(const ViewUpdate& update, SystemTime time,
                                    const std::string& op) {
  if (update.replace_keys) {
    for (const char* sql : {"DELETE FROM view_keys WHERE view_id = ?1",
                            "DELETE FROM view_keyless WHERE view_id = ?1"}) {
      auto erase = writer_->Prepare(sql, op);
      if (!erase.ok()) return erase.error();
      erase->Bind(1, update.view_id);
      if (Status s = erase->Run(op); !s) return s;
    }
  }
  auto keyless_each = [&](const char* sql, const std::vector<KeylessRecord>& records) -> Status {
    if (records.empty()) return Status::Ok();
    auto q = writer_->Prepare(sql, op);
    if (!q.ok()) return q.error();
    for (const auto& r : records) {
      q->Reset();
      q->Bind(1, update.view_id);
      q->Bind(2, r.source_id);
      q->Bind(3, r.key);
      if (Status s = q->Run(op); !s) return s;
    }
    return Status::Ok();
  };
  if (Status s = keyless_each(
          "DELETE FROM view_keyless WHERE view_id = ?1 AND source_id = ?2 AND key = ?3",
          update.keyless_removed);
      !s) {
    return s;
  }
  if (Status s = keyless_each(
          "INSERT OR IGNORE INTO view_keyless (view_id, source_id, key) VALUES (?1, ?2, ?3)",
          update.keyless_upserts);
      !s) {
    return s;
  }
  auto erase_each = [&](const char* sql, const std::vector<std::string>& keys) -> Status {
    auto erase = writer_->Prepare(sql, op);
    if (!erase.ok()) return erase.error();
    for (const auto& key : keys) {
      erase->Reset();
      erase->Bind(1, update.view_id);
      erase->Bind(2, key);
      if (Status s = erase->Run(op); !s) return s;
    }
    return Status::Ok();
  };
  if (Status s =
          erase_each("DELETE FROM view_records WHERE view_id = ?1 AND key = ?2", update.removed);
      !s) {
    return s;
  }
  if (Status s =
          erase_each("DELETE FROM view_keys WHERE view_id = ?1 AND key = ?2", update.key_removed);
      !s) {
    return s;
  }
  {
    auto insert = writer_->Prepare(
        "INSERT INTO view_records (view_id, key, fields_json, sources_json, provenance_json, "
        "conflicts_json, has_conflicts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT (view_id, key) DO UPDATE SET fields_json = excluded.fields_json, "
        "sources_json = excluded.sources_json, provenance_json = excluded.provenance_json, "
        "conflicts_json = excluded.conflicts_json, has_conflicts = excluded.has_conflicts",
        op);
    if (!insert.ok()) return insert.error();
    for (const auto& r : update.upserts) {
      insert->Reset();
      insert->Bind(1, update.view_id);
      insert->Bind(2, r.key);
      insert->Bind(3, r.fields);
      insert->Bind(4, r.sources);
      insert->Bind(5, r.provenance);
      insert->Bind(6, r.conflicts);
      insert->Bind(7, static_cast<int64_t>(r.has_conflicts ? 1 : 0));
      if (Status s = insert->Run(op); !s) return s;
    }
  }
  {
    auto insert = writer_->Prepare(
        "INSERT INTO view_keys (view_id, key, sources_json, duplicates_json) VALUES "
        "(?1, ?2, ?3, ?4) ON CONFLICT (view_id, key) DO UPDATE SET "
        "sources_json = excluded.sources_json, duplicates_json = excluded.duplicates_json",
        op);
    if (!insert.ok()) return insert.error();
    for (const auto& k : update.key_upserts) {
      insert->Reset();
      insert->Bind(1, update.view_id);
      insert->Bind(2, k.key);
      insert->Bind(3, StringList(k.sources));
      if (k.duplicates.empty()) {
        insert->BindNull(4);
      } else {
        insert->Bind(4, CanonicalJson(nlohmann::json(k.duplicates)));
      }
      if (Status s = insert->Run(op); !s) return s;
    }
  }
  if (update.definition) {
    auto state = writer_->Prepare(
        "INSERT INTO view_state (view_id, definition_json, merged_ms) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (view_id) DO UPDATE SET definition_json = excluded.definition_json, "
        "merged_ms = excluded.merged_ms",
        op);
    if (!state.ok()) return state.error();
    state->Bind(1, update.view_id);
    state->Bind(2, *update.definition);
    state->Bind(3, ToUnixMillis(time));
    if (Status s = state->Run(op); !s) return s;
  }
  return Status::Ok();
}

template <class ChangeRow>
Status SqliteStore::InsertChanges(const std::string& view_id, const std::string& source_id,
                                  const std::vector<ChangeRow>& changes, SystemTime time,
                                  const std::string& op, CommitReceipt& receipt) {
  if (changes.empty()) return Status::Ok();
  auto insert = writer_->Prepare(
      "INSERT INTO changes (time_ms, view_id, source_id, key, op, before_json, after_json, "
      "fields_json, record_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
      op);
  if (!insert.ok()) return insert.error();
  for (const ChangeRow& c : changes) {
    // The whole merged record after a view's change (as-of reads); null otherwise.
    std::string_view record;
    if constexpr (std::is_same_v<ChangeRow, ViewChange>) {
      if (c.op != "removed") record = c.record;
    }
    insert->Reset();
    insert->Bind(1, ToUnixMillis(time));
    insert->Bind(2, view_id);
    insert->Bind(3, source_id);
    insert->Bind(4, c.key);
    insert->Bind(5, c.op);
    insert->Bind(6, c.before);
    insert->Bind(7, c.after);
    insert->Bind(8, c.fields);
    if (record.empty()) {
      insert->BindNull(9);
    } else {
      insert->Bind(9, record);
    }
    if (Status s = insert->Run(op); !s) return s;
    const int64_t seq = sqlite3_last_insert_rowid(writer_->handle());
    if (receipt.first_seq == 0) receipt.first_seq = seq;
    receipt.last_seq = seq;
  }
  return Status::Ok();
}

Result<std::vector<StoredRecord>> SqliteStore::LoadSourceRecords(const std::string& source_id) {
  const std::string op = "load records of source " + source_id;
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  auto rows = (*lease)->Prepare(
      "SELECT key, fields_json, changed_ms FROM source_records WHERE source_id = ?1 ORDER BY key",
      op);
  if (!rows.ok()) return rows.error();
  rows->Bind(1, source_id);
  std::vector<StoredRecord> out;
  for (;;) {
    if (Status s = rows->Step(op); !s) return s.error();
    if (!rows->HasRow()) break;
    StoredRecord r;
    r.key = rows->Text(0);
    r.fields_text = rows->Text(1);
    if (!ValidateJson(r.fields_text)) {
      return Error::Permanent(op + ": stored fields of key " +
                              CanonicalJson(nlohmann::json(r.key)) + " are not valid JSON");
    }
    r.changed_at = FromUnixMillis(rows->Int(2));
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::optional<std::string>> SqliteStore::ViewDefinition(const std::string& view_id) {
  const std::string op = "read definition of view " + view_id;
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  auto q = (*lease)->Prepare("SELECT definition_json FROM view_state WHERE view_id = ?1", op);
  if (!q.ok()) return q.error();
  q->Bind(1, view_id);
  if (Status s = q->Step(op); !s) return s.error();
  if (!q->HasRow()) return std::optional<std::string>();
  return std::optional<std::string>(q->Text(0));
}

Result<std::vector<ViewKey>> SqliteStore::LoadViewKeys(const std::string& view_id) {
  const std::string op = "load keys of view " + view_id;
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  auto rows = (*lease)->Prepare(
      "SELECT key, sources_json, duplicates_json FROM view_keys WHERE view_id = ?1 ORDER BY key",
      op);
  if (!rows.ok()) return rows.error();
  rows->Bind(1, view_id);
  std::vector<ViewKey> out;
  for (;;) {
    if (Status s = rows->Step(op); !s) return s.error();
    if (!rows->HasRow()) break;
    ViewKey k;
    k.key = rows->Text(0);
    k.sources = StringsOf(ParseJsonOr(rows->Text(1), nullptr));
    if (!rows->IsNull(2)) {
      const auto dups = ParseJsonOr(rows->Text(2), nullptr);
      if (dups.is_object()) {
        for (const auto& [source, keys] : dups.items()) k.duplicates[source] = StringsOf(keys);
      }
    }
    out.push_back(std::move(k));
  }
  return out;
}

Result<std::vector<Change>> SqliteStore::RecordHistory(const std::string& view_id,
                                                       const std::string& source_id,
                                                       const std::string& key, size_t limit) {
  const std::string op = "read history of " +
                         (view_id.empty() ? "source " + source_id : "view " + view_id) +
                         " record " + CanonicalJson(nlohmann::json(key));
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  auto q = (*lease)->Prepare(std::string("SELECT ") + kChangeColumns +
                                 " FROM changes WHERE view_id = ?1 AND source_id = ?2 AND "
                                 "key = ?3 ORDER BY seq DESC LIMIT ?4",
                             op);
  if (!q.ok()) return q.error();
  q->Bind(1, view_id);
  q->Bind(2, view_id.empty() ? source_id : std::string());
  q->Bind(3, key);
  q->Bind(4, static_cast<int64_t>(std::clamp<size_t>(limit, 1, kMaxRows)));
  std::vector<Change> out;
  for (;;) {
    if (Status s = q->Step(op); !s) return s.error();
    if (!q->HasRow()) break;
    out.push_back(ChangeFromRow(*q));
  }
  return out;
}

Result<PruneOutcome> SqliteStore::PruneHistory(std::optional<SystemTime> older_than,
                                               std::optional<int64_t> max_versions, size_t batch,
                                               std::optional<int64_t> keep_after) {
  const std::string op = "prune history";
  const int64_t limit = static_cast<int64_t>(std::clamp<size_t>(batch, 1, kMaxRows));
  // Changes a webhook has still to deliver stay (seq <= ?3 on every delete).
  const int64_t prunable_to = keep_after.value_or(std::numeric_limits<int64_t>::max());
  PruneOutcome out;
  std::lock_guard lock(writer_mu_);
  Transaction txn(*writer_, op);
  if (Status s = txn.Begin(Transaction::Kind::kImmediate); !s) return s.error();
  if (older_than) {
    // Old changes go, except each record's latest one, which as-of reads still need.
    auto q = writer_->Prepare(
        "DELETE FROM changes WHERE seq IN (SELECT c.seq FROM changes c WHERE c.time_ms < ?1 AND "
        "c.seq <= ?3 AND EXISTS (SELECT 1 FROM changes n WHERE n.view_id = c.view_id AND "
        "n.source_id = c.source_id AND n.key = c.key AND n.seq > c.seq) ORDER BY c.seq LIMIT ?2)",
        op);
    if (!q.ok()) return q.error();
    q->Bind(1, ToUnixMillis(*older_than));
    q->Bind(2, limit);
    q->Bind(3, prunable_to);
    if (Status s = q->Run(op); !s) return s.error();
    out.removed += static_cast<uint64_t>(sqlite3_changes(writer_->handle()));
  }
  if (max_versions && out.removed < static_cast<uint64_t>(limit)) {
    auto q = writer_->Prepare(
        "DELETE FROM changes WHERE seq IN (SELECT seq FROM (SELECT seq, row_number() OVER "
        "(PARTITION BY view_id, source_id, key ORDER BY seq DESC) AS version FROM changes) "
        "WHERE version > ?1 AND seq <= ?3 ORDER BY seq LIMIT ?2)",
        op);
    if (!q.ok()) return q.error();
    q->Bind(1, *max_versions);
    q->Bind(2, limit - static_cast<int64_t>(out.removed));
    q->Bind(3, prunable_to);
    if (Status s = q->Run(op); !s) return s.error();
    out.removed += static_cast<uint64_t>(sqlite3_changes(writer_->handle()));
  }
  if (Status s = txn.Commit(); !s) return s.error();
  out.more = out.removed >= static_cast<uint64_t>(limit);
  return out;
}

Result<ChangePage> SqliteStore::ChangesSince(int64_t after_seq, size_t limit,
                                             const ChangeFilter& filter) {
  const std::string op = "read changes";
  const size_t page_size = std::clamp<size_t>(limit, 1, kMaxRows);
  std::string sql = std::string("SELECT ") + kChangeColumns + " FROM changes WHERE seq > ?1";
  std::vector<std::string> params;
  if (!filter.views.empty() || !filter.sources.empty()) {
    std::string any;
    auto in = [&](const char* column, const std::vector<std::string>& values) {
      if (values.empty()) return;
      if (!any.empty()) any += " OR ";
      any += std::string(column) + " IN (";
      for (size_t i = 0; i < values.size(); ++i) {
        params.push_back(values[i]);
        any += (i ? ", ?" : "?") + std::to_string(params.size() + 2);
      }
      any += ")";
    };
    in("view_id", filter.views);
    in("source_id", filter.sources);
    sql += " AND (" + any + ")";
  }
  sql += " ORDER BY seq LIMIT ?2";
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  SqliteConnection& conn = **lease;
  Transaction txn(conn, op);  // the page and the latest seq from one snapshot
  if (Status s = txn.Begin(Transaction::Kind::kDeferred); !s) return s.error();
  ChangePage page;
  page.scanned_to = after_seq;
  {
    auto q = conn.Prepare(sql, op);
    if (!q.ok()) return q.error();
    q->Bind(1, after_seq);
    q->Bind(2, static_cast<int64_t>(page_size));
    for (size_t i = 0; i < params.size(); ++i) q->Bind(static_cast<int>(i) + 3, params[i]);
    for (;;) {
      if (Status s = q->Step(op); !s) return s.error();
      if (!q->HasRow()) break;
      page.changes.push_back(ChangeFromRow(*q));
    }
  }
  if (page.changes.size() == page_size) {
    page.scanned_to = page.changes.back().seq;
  } else {
    auto latest = conn.QueryInt("SELECT coalesce(max(seq), 0) FROM changes", op);
    if (!latest.ok()) return latest.error();
    page.scanned_to = std::max(after_seq, *latest);
  }
  if (Status s = txn.Commit(); !s) return s.error();
  return page;
}

Result<int64_t> SqliteStore::LatestChangeSeq() {
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  return (*lease)->QueryInt("SELECT coalesce(max(seq), 0) FROM changes", "read latest change");
}

void SqliteStore::SetChangeListener(std::function<void(int64_t latest_seq)> listener) {
  change_listener_ = std::move(listener);
}

}  // namespace tributary::storage
