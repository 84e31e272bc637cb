// SqliteStore: paused sources (migration 6). An administrator's pause outlives the process: a
// restart must not start fetching a source someone stopped on purpose.
#include <mutex>

#include "service/storage/sqlite_store.hpp"

namespace tributary::storage {

Result<std::vector<std::pair<std::string, SystemTime>>> SqliteStore::PausedSources() {
  const std::string op = "load paused sources";
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  auto query =
      (*lease)->Prepare("SELECT source_id, since_ms FROM paused_sources ORDER BY source_id", op);
  if (!query.ok()) return query.error();
  std::vector<std::pair<std::string, SystemTime>> out;
  for (;;) {
    if (Status s = query->Step(op); !s) return s.error();
    if (!query->HasRow()) break;
    out.emplace_back(query->Text(0), FromUnixMillis(query->Int(1)));
  }
  return out;
}

Status SqliteStore::SetSourcePaused(const std::string& source_id, bool paused, SystemTime now) {
  const std::string op = (paused ? "pause source " : "resume source ") + source_id;
  std::lock_guard lock(writer_mu_);
  // Pausing a paused source keeps its original time.
  auto statement = writer_->Prepare(
      paused ? "INSERT OR IGNORE INTO paused_sources (source_id, since_ms) VALUES (?1, ?2)"
             : "DELETE FROM paused_sources WHERE source_id = ?1",
      op);
  if (!statement.ok()) return statement.error();
  statement->Bind(1, source_id);
  if (paused) statement->Bind(2, ToUnixMillis(now));
  return statement->Run(op);
}

}  // namespace tributary::storage
