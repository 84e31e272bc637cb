#pragma once
// Encoding of merged records as view_records rows, shared by the store's files.
// Thread safety: pure functions.

#include <map>
#include <string>

#include "common/result.hpp"
#include "merge/record.hpp"
#include "service/storage/sqlite_connection.hpp"
#include "service/storage/sqlite_statement.hpp"

namespace tributary::storage {

// Columns: key, fields_json, sources_json, provenance_json, conflicts_json (sqlite_store.cpp).
Result<merge::MergedRecord> MergedRecordFromRow(const SqliteStatement& row, const std::string& op);

// Source id -> its latest fetch time (source_snapshots).
using FetchTimes = std::map<std::string, SystemTime>;
// Reads every source's fetch time on `conn`; inside the caller's read transaction, so that the
// times match the records read with them (view_reads.cpp).
Result<FetchTimes> ReadFetchTimes(SqliteConnection& conn, const std::string& op);
// Reports each provenance entry's time as the latest fetch of its source (of the latest of its
// `from` sources): the stored record is the merge of those sources' current records, so they
// still held the value when last fetched. Entries of unknown sources keep their stored time.
void ApplyFetchTimes(const FetchTimes& times, merge::MergedRecord& r);

}  // namespace tributary::storage
