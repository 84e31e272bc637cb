// SqliteStore: the validators of conditional requests (migration 7). They are written only
// inside the transaction of a successful fetch log (InsertFetch), so a stored validator always
// stands for the stored snapshot: a crash or a failed commit can never make a later 304 skip
// extraction against records that were not kept.
#include "service/storage/sqlite_store.hpp"

namespace tributary::storage {

Result<std::optional<FetchValidators>> SqliteStore::LoadValidators(const std::string& source_id,
                                                                   const std::string& url) {
  const std::string op = "read fetch validators of source " + source_id;
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  auto query = (*lease)->Prepare(
      "SELECT etag, last_modified, body_hash, body_bytes, wire_bytes, definition_hash, "
      "updated_ms FROM fetch_validators WHERE source_id = ?1 AND url = ?2",
      op);
  if (!query.ok()) return query.error();
  query->Bind(1, source_id);
  query->Bind(2, url);
  if (Status s = query->Step(op); !s) return s.error();
  if (!query->HasRow()) return std::optional<FetchValidators>();
  FetchValidators v;
  v.source_id = source_id;
  v.url = url;
  v.etag = query->Text(0);
  v.last_modified = query->Text(1);
  v.body_hash = query->Text(2);
  v.body_bytes = static_cast<uint64_t>(query->Int(3));
  v.wire_bytes = static_cast<uint64_t>(query->Int(4));
  v.definition_hash = query->Text(5);
  v.updated = FromUnixMillis(query->Int(6));
  return std::optional<FetchValidators>(std::move(v));
}

Status SqliteStore::SaveValidators(const FetchValidators& v, const std::string& op) {
  auto upsert = writer_->Prepare(
      "INSERT INTO fetch_validators (source_id, url, etag, last_modified, body_hash, body_bytes, "
      "wire_bytes, definition_hash, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
      "ON CONFLICT (source_id) DO UPDATE SET url = excluded.url, etag = excluded.etag, "
      "last_modified = excluded.last_modified, body_hash = excluded.body_hash, "
      "body_bytes = excluded.body_bytes, wire_bytes = excluded.wire_bytes, "
      "definition_hash = excluded.definition_hash, updated_ms = excluded.updated_ms",
      op);
  if (!upsert.ok()) return upsert.error();
  upsert->Bind(1, v.source_id);
  upsert->Bind(2, v.url);
  upsert->Bind(3, v.etag);
  upsert->Bind(4, v.last_modified);
  upsert->Bind(5, v.body_hash);
  upsert->Bind(6, static_cast<int64_t>(v.body_bytes));
  upsert->Bind(7, static_cast<int64_t>(v.wire_bytes));
  upsert->Bind(8, v.definition_hash);
  upsert->Bind(9, ToUnixMillis(v.updated));
  return upsert->Run(op);
}

}  // namespace tributary::storage
