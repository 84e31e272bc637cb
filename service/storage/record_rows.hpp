#pragma once
// Encoding of merged records as view_records rows, shared by the store's files.
// Thread safety: pure functions.

#include <string>

#include "common/result.hpp"
#include "merge/record.hpp"
#include "service/storage/sqlite_statement.hpp"

namespace tributary::storage {

// Columns: key, fields_json, sources_json, provenance_json, conflicts_json (sqlite_store.cpp).
Result<merge::MergedRecord> MergedRecordFromRow(const SqliteStatement& row, const std::string& op);

}  // namespace tributary::storage
