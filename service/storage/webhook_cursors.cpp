// SqliteStore: webhook delivery cursors (migration 3). A cursor is the sequence number of the
// last change a webhook's receiver acknowledged; delivery resumes after it, also after a restart.
// No row means no cursor (a webhook never started), which is not the same as cursor 0.
#include <chrono>
#include <mutex>

#include "service/storage/sqlite_store.hpp"

namespace tributary::storage {

Result<std::optional<int64_t>> SqliteStore::WebhookCursor(const std::string& webhook_id) {
  const std::string op = "read delivery cursor of webhook " + webhook_id;
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  auto query =
      (*lease)->Prepare("SELECT delivered_seq FROM webhook_cursors WHERE webhook_id = ?1", op);
  if (!query.ok()) return query.error();
  query->Bind(1, webhook_id);
  if (Status s = query->Step(op); !s) return s.error();
  if (!query->HasRow()) return std::optional<int64_t>();
  return std::optional<int64_t>(query->Int(0));
}

Status SqliteStore::SetWebhookCursor(const std::string& webhook_id, int64_t seq) {
  const std::string op = "store delivery cursor of webhook " + webhook_id;
  std::lock_guard lock(writer_mu_);
  auto upsert = writer_->Prepare(
      "INSERT INTO webhook_cursors (webhook_id, delivered_seq, updated_ms) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (webhook_id) DO UPDATE SET delivered_seq = excluded.delivered_seq, "
      "updated_ms = excluded.updated_ms",
      op);
  if (!upsert.ok()) return upsert.error();
  upsert->Bind(1, webhook_id);
  upsert->Bind(2, seq);
  upsert->Bind(3, static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count()));
  return upsert->Run(op);
}

}  // namespace tributary::storage
