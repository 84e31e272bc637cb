#pragma once
// The "merge_keys" job: merge a batch of view keys and compare each result with what the view
// held before. The daemon keeps the key index and sends, per key, each source's record and the
// stored merged record; the worker process returns only what changed. Both directions are
// packed texts (common/packed_text.hpp): the JSON inside is text the daemon already holds or
// will store as it is, so neither side builds a JSON tree only to re-encode it. The daemon
// splits large merges into several jobs so that a frame stays far below the frame cap.
//
//   body, per item:    key, before (the stored merged record: its compared record
//                      (compared_record.hpp), or any JSON object with the whole record's
//                      members; "" for none),
//                      the record count n, then n times: source index, fetched ms, fields,
//                      then the key's records before the update that made it merged again:
//                      their count m (-1: not given), then m times as above. Given (m >= 0),
//                      they stand for the stored record: the key merged from them is what
//                      was stored (every commit stores what its records merge to), and
//                      "before" is then "". The daemon keeps no merged records: an update
//                      sends the touched keys' records before and after it, a full recompute
//                      the stored records it reads from the store.
//   reply body, per result (meta {"ok": true, "results": count}):
//                      op ("added"|"removed"|"changed"|"provenance"), key, the merged
//                      record's whole text (MergedRecordText::Whole; "" when removed), the
//                      lengths of its conflicts, fields, provenance and sources texts (0 when
//                      removed), has_conflicts (0/1), before fields ("null" when added), the
//                      field-level diff {name: {"after", "before"}} ("" when added: every field
//                      with a value, after it and null before, which the store leaves the
//                      reader to spell out: a full merge adds every key, and the diff repeated
//                      each record's fields); the fields after are the record's fields (not
//                      sent twice). The whole text is what the daemon stores: it is written by
//                      the worker, and the parts are read back as pieces of it.
//   "fetched ms" is the time of the source's latest fetch (its provenance time, and what the
//   `latest` strategy compares). Unchanged keys are left out of the results. Provenance times
//   alone are no change: they move with every fetch, and the store reports each source's latest
//   fetch time on read, so rewriting every record a fetch confirms would buy nothing. A record
//   whose fields, sources and conflicts are the same but whose values now come from another
//   source is op "provenance": the record is stored again, without a change row.
// Pure: no I/O. Thread safety: reentrant.

#include <boost/container/small_vector.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"
#include "merge/record.hpp"

namespace tributary::merge::combine {

// Daemon side: one item of the body. `before` and record fields are JSON texts.
struct MergeItemRecord {
  size_t source_index = 0;
  int64_t fetched_ms = 0;  // the source's latest fetch (SourceRecords::fetched_at)
  std::string_view fields;  // valid until the body is built
};
using MergeItemRecords = boost::container::small_vector<MergeItemRecord, 4>;
struct MergeItem {
  std::string_view key;                 // valid until the body is built
  const std::string* before = nullptr;  // the stored merged record (compared record), if any
  // Inline for the usual few sources: an item is built per key, millions in a full merge.
  MergeItemRecords records;
  // The records before the update, as AppendMergeRecords wrote them (nullopt: not given; then
  // `before` says what is stored). Valid until the body is built.
  std::optional<std::string_view> old_records;
};

// Appends `item` to a body under construction.
void AppendMergeItem(std::string& body, const MergeItem& item);
// Appends a key's records as an item carries them (count, then each), for MergeItem::old_records:
// the daemon takes them before an update changes its state, and sends them once it has.
void AppendMergeRecords(std::string& out, const MergeItemRecords& records);

// Worker side: runs the job and returns the reply body. Errors (malformed body) are
// kPermanent.
struct MergeJobReply {
  size_t results = 0;
  std::string body;
};
Result<MergeJobReply> RunMergeJob(const config::ViewConfig& view, std::string_view body);

// One result as read from a reply body: views into it, valid while the body is. The daemon
// copies what it keeps (a full merge reads millions of results; most texts are kept once).
struct MergeResult {
  std::string_view key;
  std::string_view op;      // added, removed, changed, provenance
  bool has_record = false;  // unless removed
  // The merged record's whole text and its parts, pieces of it (empty when removed).
  std::string_view whole;
  std::string_view fields, sources, provenance, conflicts;
  bool has_conflicts = false;
  std::string_view before = "null";  // fields before (JSON text; null when added)
  std::string_view diff = "{}";      // field-level diff (JSON text; "" when added)

  std::string_view after() const { return has_record ? fields : std::string_view("null"); }
  MergedRecordText Record() const;
};
// Daemon side: reads a reply body's results.
Result<std::vector<MergeResult>> ParseMergeResults(std::string_view reply_body);
// The same into `out` (cleared first), whose capacity a caller reading reply after reply keeps:
// a full merge's replies hold thousands of results each, and a vector grown afresh for each
// one was mapped and faulted in anew (perf, merge_bench 1M: ~12 % of the merge's samples).
// On an error, `out` holds the results before the malformed one.
Status ParseMergeResults(std::string_view reply_body, std::vector<MergeResult>& out);

}  // namespace tributary::merge::combine
