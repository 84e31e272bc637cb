// SqliteStore: quarantined documents (migration 4). See QuarantineEntry in store.hpp; the
// policy (what is quarantined, when it no longer applies) lives in service/extraction_guard.
#include <mutex>

#include "service/storage/sqlite_store.hpp"

namespace tributary::storage {

Status SqliteStore::SaveQuarantine(const QuarantineEntry& entry) {
  const std::string op = "store the quarantine of a document of source " + entry.source_id;
  std::lock_guard lock(writer_mu_);
  auto upsert = writer_->Prepare(
      "INSERT OR REPLACE INTO quarantine (source_id, content_hash, definition_hash, reason, "
      "cause, since_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
      op);
  if (!upsert.ok()) return upsert.error();
  upsert->Bind(1, entry.source_id);
  upsert->Bind(2, entry.content_hash);
  upsert->Bind(3, entry.definition_hash);
  upsert->Bind(4, entry.reason);
  upsert->Bind(5, entry.cause);
  upsert->Bind(6, ToUnixMillis(entry.since));
  return upsert->Run(op);
}

Status SqliteStore::DeleteQuarantine(const QuarantineEntry& entry) {
  const std::string op = "lift the quarantine of a document of source " + entry.source_id;
  std::lock_guard lock(writer_mu_);
  auto del = writer_->Prepare(
      "DELETE FROM quarantine WHERE source_id = ?1 AND content_hash = ?2 AND "
      "definition_hash = ?3",
      op);
  if (!del.ok()) return del.error();
  del->Bind(1, entry.source_id);
  del->Bind(2, entry.content_hash);
  del->Bind(3, entry.definition_hash);
  return del->Run(op);
}

Result<std::vector<QuarantineEntry>> SqliteStore::LoadQuarantines() {
  const std::string op = "load quarantined documents";
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  auto query = (*lease)->Prepare(
      "SELECT source_id, content_hash, definition_hash, reason, cause, since_ms FROM quarantine "
      "ORDER BY since_ms, source_id",
      op);
  if (!query.ok()) return query.error();
  std::vector<QuarantineEntry> out;
  for (;;) {
    if (Status s = query->Step(op); !s) return s.error();
    if (!query->HasRow()) break;
    QuarantineEntry e;
    e.source_id = query->Text(0);
    e.content_hash = query->Text(1);
    e.definition_hash = query->Text(2);
    e.reason = query->Text(3);
    e.cause = query->Text(4);
    e.since = FromUnixMillis(query->Int(5));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace tributary::storage
