// SqliteStore: the fetch log as a history (the latest attempts of a source), for the API's
// explanation of a source.
#include "service/storage/sqlite_store.hpp"

namespace tributary::storage {

Result<std::vector<FetchLog>> SqliteStore::RecentFetches(const std::string& source_id,
                                                         size_t limit) {
  const std::string op = "read recent fetches of source " + source_id;
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  auto query = (*lease)->Prepare(
      "SELECT started_ms, http_status, duration_ms, bytes, record_count, error, error_class "
      "FROM fetches WHERE source_id = ?1 ORDER BY id DESC LIMIT ?2",
      op);
  if (!query.ok()) return query.error();
  query->Bind(1, source_id);
  query->Bind(2, static_cast<int64_t>(std::min<size_t>(limit, kFetchLogPerSource)));
  std::vector<FetchLog> out;
  while (true) {
    if (Status s = query->Step(op); !s) return s.error();
    if (!query->HasRow()) break;
    FetchLog fetch;
    fetch.source_id = source_id;
    fetch.started = FromUnixMillis(query->Int(0));
    fetch.http_status = static_cast<long>(query->Int(1));
    fetch.duration_ms = query->Int(2);
    fetch.bytes = static_cast<uint64_t>(query->Int(3));
    if (!query->IsNull(4)) fetch.record_count = static_cast<uint64_t>(query->Int(4));
    fetch.error = query->Text(5);
    fetch.error_class = query->Text(6);
    out.push_back(std::move(fetch));
  }
  return out;
}

}  // namespace tributary::storage
