// SqliteStore: reads of a view's merged records and coverage (issue 5). Each read that returns
// merged records also reads the sources' fetch times in the same read transaction and reports
// them as provenance times (store.hpp, ViewRecords): the stored record says which source gave a
// value; when that source was last fetched is the source's, not the record's.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/json_parse.hpp"
#include "common/json_text.hpp"
#include "service/storage/record_rows.hpp"
#include "service/storage/sqlite_store.hpp"
#include "service/storage/transaction.hpp"
#include "service/storage/view_cursor.hpp"

namespace tributary::storage {
namespace {

// Upper bound on a page, only so that limit + 1 cannot overflow; callers clamp to 1..1000.
constexpr size_t kMaxRows = 1'000'000;
// Duplicates and keyless records listed by Coverage.
constexpr int64_t kCoverageListed = 1000;

std::vector<std::string> StringsOf(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& s : j) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

constexpr const char* kRecordColumns =
    "key, fields_json, sources_json, provenance_json, conflicts_json";

// Reads up to `page_size` records of `q` (kRecordColumns, one more row asked for), with fetch
// times applied; sets next_cursor when more follow.
Status ReadPage(SqliteStatement& q, size_t page_size, const FetchTimes& times,
                const std::string& op, ViewPage& page) {
  for (;;) {
    if (Status s = q.Step(op); !s) return s;
    if (!q.HasRow()) break;
    if (page.records.size() == page_size) {
      page.next_cursor = EncodeViewCursor(page.records.back().key);
      break;
    }
    auto record = MergedRecordFromRow(q, op);
    if (!record.ok()) return record.error();
    ApplyFetchTimes(times, *record);
    page.records.push_back(std::move(record).value());
  }
  return Status::Ok();
}

}  // namespace

Result<FetchTimes> ReadFetchTimes(SqliteConnection& conn, const std::string& op) {
  auto q = conn.Prepare("SELECT source_id, fetched_ms FROM source_snapshots", op);
  if (!q.ok()) return q.error();
  FetchTimes out;
  for (;;) {
    if (Status s = q->Step(op); !s) return s.error();
    if (!q->HasRow()) break;
    out[q->Text(0)] = FromUnixMillis(q->Int(1));
  }
  return out;
}

void ApplyFetchTimes(const FetchTimes& times, merge::MergedRecord& r) {
  for (auto& [field, p] : r.provenance) {
    auto apply = [&](const std::string& source) {
      if (auto it = times.find(source); it != times.end()) {
        p.fetched_at = std::max(p.fetched_at, it->second);
      }
    };
    apply(p.source);
    for (const auto& s : p.from) apply(s);
  }
}

Result<std::map<std::string, SystemTime>> SqliteStore::SourceFetchTimes() {
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  return ReadFetchTimes(**lease, "read source fetch times");
}

Result<ViewPage> SqliteStore::ViewRecords(const std::string& view_id, const std::string& cursor,
                                          size_t limit) {
  const std::string op = "read records of view " + view_id;
  std::optional<std::string> after;
  if (!cursor.empty()) {
    after = DecodeViewCursor(cursor);
    if (!after) return Error::Permanent("invalid cursor");
  }
  const size_t page_size = std::clamp<size_t>(limit, 1, kMaxRows);

  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  SqliteConnection& conn = **lease;
  Transaction txn(conn, op);  // the records and the fetch times from one commit
  if (Status s = txn.Begin(Transaction::Kind::kDeferred); !s) return s.error();
  auto times = ReadFetchTimes(conn, op);
  if (!times.ok()) return times.error();
  ViewPage page;
  {
    // One row more than the page tells whether another page follows, without an empty page.
    auto q = conn.Prepare(std::string("SELECT ") + kRecordColumns +
                              " FROM view_records WHERE view_id = ?1" +
                              (after ? " AND key > ?3" : "") + " ORDER BY key LIMIT ?2",
                          op);
    if (!q.ok()) return q.error();
    q->Bind(1, view_id);
    q->Bind(2, static_cast<int64_t>(page_size + 1));
    if (after) q->Bind(3, *after);
    if (Status s = ReadPage(*q, page_size, *times, op, page); !s) return s.error();
  }
  if (Status s = txn.Commit(); !s) return s.error();
  return page;
}

Result<std::optional<merge::MergedRecord>> SqliteStore::ViewRecord(const std::string& view_id,
                                                                   const std::string& key) {
  const std::string op = "read record of view " + view_id;
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  SqliteConnection& conn = **lease;
  Transaction txn(conn, op);
  if (Status s = txn.Begin(Transaction::Kind::kDeferred); !s) return s.error();
  auto times = ReadFetchTimes(conn, op);
  if (!times.ok()) return times.error();
  std::optional<merge::MergedRecord> out;
  {
    auto q = conn.Prepare(std::string("SELECT ") + kRecordColumns +
                              " FROM view_records WHERE view_id = ?1 AND key = ?2",
                          op);
    if (!q.ok()) return q.error();
    q->Bind(1, view_id);
    q->Bind(2, key);
    if (Status s = q->Step(op); !s) return s.error();
    if (q->HasRow()) {
      auto record = MergedRecordFromRow(*q, op);
      if (!record.ok()) return record.error();
      ApplyFetchTimes(*times, *record);
      out = std::move(record).value();
    }
  }
  if (Status s = txn.Commit(); !s) return s.error();
  return out;
}

Result<std::optional<merge::MergedRecord>> SqliteStore::ViewRecordAsOf(const std::string& view_id,
                                                                       const std::string& key,
                                                                       SystemTime as_of) {
  const std::string op = "read record of view " + view_id + " as of " + FormatRfc3339(as_of);
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  // The record's latest change at or before as_of says what it was then.
  auto q = (*lease)->Prepare(
      "SELECT op, record_json FROM changes WHERE view_id = ?1 AND source_id = '' AND key = ?2 "
      "AND time_ms <= ?3 ORDER BY seq DESC LIMIT 1",
      op);
  if (!q.ok()) return q.error();
  q->Bind(1, view_id);
  q->Bind(2, key);
  q->Bind(3, ToUnixMillis(as_of));
  if (Status s = q->Step(op); !s) return s.error();
  if (!q->HasRow() || q->Text(0) == "removed" || q->IsNull(1)) {
    return std::optional<merge::MergedRecord>();
  }
  const auto j = ParseJsonOr(q->Text(1), nullptr);
  if (!j.is_object() || !j.contains("key")) {
    return Error::Permanent(op + ": stored version is malformed");
  }
  return std::optional<merge::MergedRecord>(merge::MergedRecordFromJson(j));
}

Result<ViewCoverage> SqliteStore::Coverage(const std::string& view_id) {
  const std::string op = "read coverage of view " + view_id;
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  SqliteConnection& conn = **lease;
  Transaction txn(conn, op);  // one snapshot for the counts and the duplicates
  if (Status s = txn.Begin(Transaction::Kind::kDeferred); !s) return s.error();
  ViewCoverage out;
  {
    auto q = conn.Prepare(
        "SELECT sources_json, count(*) FROM view_keys WHERE view_id = ?1 GROUP BY sources_json "
        "ORDER BY count(*) DESC, sources_json",
        op);
    if (!q.ok()) return q.error();
    q->Bind(1, view_id);
    for (;;) {
      if (Status s = q->Step(op); !s) return s.error();
      if (!q->HasRow()) break;
      CoverageRow row;
      row.sources = StringsOf(ParseJsonOr(q->Text(0), nullptr));
      row.keys = static_cast<uint64_t>(q->Int(1));
      out.keys += row.keys;
      out.combinations.push_back(std::move(row));
    }
  }
  {
    auto q = conn.Prepare(
        "SELECT key, sources_json, duplicates_json FROM view_keys WHERE view_id = ?1 AND "
        "duplicates_json IS NOT NULL ORDER BY key LIMIT ?2",
        op);
    if (!q.ok()) return q.error();
    q->Bind(1, view_id);
    q->Bind(2, kCoverageListed);
    for (;;) {
      if (Status s = q->Step(op); !s) return s.error();
      if (!q->HasRow()) break;
      ViewKey k;
      k.key = q->Text(0);
      k.sources = StringsOf(ParseJsonOr(q->Text(1), nullptr));
      const auto dups = ParseJsonOr(q->Text(2), nullptr);
      if (dups.is_object()) {
        for (const auto& [source, keys] : dups.items()) k.duplicates[source] = StringsOf(keys);
      }
      out.duplicates.push_back(std::move(k));
    }
  }
  {
    auto q = conn.Prepare(
        "SELECT source_id, count(*) FROM view_keyless WHERE view_id = ?1 GROUP BY source_id", op);
    if (!q.ok()) return q.error();
    q->Bind(1, view_id);
    for (;;) {
      if (Status s = q->Step(op); !s) return s.error();
      if (!q->HasRow()) break;
      out.without_key[q->Text(0)] = static_cast<uint64_t>(q->Int(1));
    }
  }
  {
    auto q = conn.Prepare(
        "SELECT source_id, key FROM view_keyless WHERE view_id = ?1 ORDER BY source_id, key "
        "LIMIT ?2",
        op);
    if (!q.ok()) return q.error();
    q->Bind(1, view_id);
    q->Bind(2, kCoverageListed);
    for (;;) {
      if (Status s = q->Step(op); !s) return s.error();
      if (!q->HasRow()) break;
      out.keyless.push_back(KeylessRecord{q->Text(0), q->Text(1)});
    }
  }
  if (Status s = txn.Commit(); !s) return s.error();
  return out;
}

Result<std::vector<std::string>> SqliteStore::CoverageKeys(const std::string& view_id,
                                                           const std::vector<std::string>& sources,
                                                           const std::string& after_key,
                                                           size_t limit) {
  const std::string op = "read coverage keys of view " + view_id;
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  auto q = (*lease)->Prepare(
      "SELECT key FROM view_keys WHERE view_id = ?1 AND sources_json = ?2 AND key > ?3 "
      "ORDER BY key LIMIT ?4",
      op);
  if (!q.ok()) return q.error();
  q->Bind(1, view_id);
  q->Bind(2, CanonicalJson(nlohmann::json(sources)));
  q->Bind(3, after_key);
  q->Bind(4, static_cast<int64_t>(std::clamp<size_t>(limit, 1, kMaxRows)));
  std::vector<std::string> out;
  for (;;) {
    if (Status s = q->Step(op); !s) return s.error();
    if (!q->HasRow()) break;
    out.push_back(q->Text(0));
  }
  return out;
}

Result<ViewPage> SqliteStore::ViewConflicts(const std::string& view_id, const std::string& cursor,
                                            size_t limit) {
  const std::string op = "read conflicts of view " + view_id;
  std::optional<std::string> after;
  if (!cursor.empty()) {
    after = DecodeViewCursor(cursor);
    if (!after) return Error::Permanent("invalid cursor");
  }
  const size_t page_size = std::clamp<size_t>(limit, 1, kMaxRows);
  auto lease = readers_.Acquire();
  if (!lease.ok()) return lease.error();
  SqliteConnection& conn = **lease;
  Transaction txn(conn, op);
  if (Status s = txn.Begin(Transaction::Kind::kDeferred); !s) return s.error();
  auto times = ReadFetchTimes(conn, op);
  if (!times.ok()) return times.error();
  ViewPage page;
  {
    auto q = conn.Prepare(std::string("SELECT ") + kRecordColumns +
                              " FROM view_records WHERE view_id = ?1 AND has_conflicts = 1 AND "
                              "key > ?3 ORDER BY key LIMIT ?2",
                          op);
    if (!q.ok()) return q.error();
    q->Bind(1, view_id);
    q->Bind(2, static_cast<int64_t>(page_size + 1));
    q->Bind(3, after.value_or(""));
    if (Status s = ReadPage(*q, page_size, *times, op, page); !s) return s.error();
  }
  if (Status s = txn.Commit(); !s) return s.error();
  return page;
}

}  // namespace tributary::storage
