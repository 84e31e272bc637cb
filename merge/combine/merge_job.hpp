#pragma once
// The "merge_keys" job: merge a batch of view keys and compare each result with what the view
// held before. The daemon keeps the key index and sends, per key, each source's record and the
// stored merged record; the worker process returns only what changed. Inputs travel as one JSON
// array in the frame body (text the daemon already holds, never re-encoded), and the daemon
// splits large merges into several jobs so that a frame stays far below the frame cap.
//
//   body: [{"key": k, "before": <merged record JSON or null>,
//           "records": [{"s": <source index>, "at": <fetched ms>, "f": <fields>}, …]}, …]
//   reply: {"ok": true, "results": [{"key": k, "op": "added"|"removed"|"changed"|"provenance",
//           "record": <merged record> (unless removed), "before": <fields before or null>,
//           "after": <fields after or null>, "fields": {name: {"before", "after"}}}, …]}
//   "at" is the time of the source's latest fetch (its provenance time, and what the `latest`
//   strategy compares). Unchanged keys are left out of the results. Provenance times alone are
//   no change: they move with every fetch, and the store reports each source's latest fetch
//   time on read, so rewriting every record a fetch confirms would buy nothing. A record whose
//   fields, sources and conflicts are the same but whose values now come from another source
//   is op "provenance": the record is stored again, without a change row (no value changed).
// Pure: no I/O. Thread safety: reentrant.

#include <nlohmann/json.hpp>
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
  const std::string* fields = nullptr;
};
struct MergeItem {
  std::string key;
  const std::string* before = nullptr;  // the stored merged record (JSON text), if any
  std::vector<MergeItemRecord> records;
};

// Appends `item` to a body under construction ("" → "[item"; call FinishMergeBody at the end).
void AppendMergeItem(std::string& body, const MergeItem& item);
void FinishMergeBody(std::string& body);

// Worker side: runs the job. Errors (malformed body) are kPermanent.
Result<nlohmann::json> RunMergeJob(const config::ViewConfig& view, std::string_view body);

struct MergeResult {
  std::string key;
  std::string op;                      // added, removed, changed, provenance
  std::optional<MergedRecord> record;  // unless removed
  nlohmann::json before;               // fields before (null when added)
  nlohmann::json after;                // fields after (null when removed)
  nlohmann::json fields;               // field-level diff
};
// Daemon side: reads a reply's results.
Result<std::vector<MergeResult>> ParseMergeResults(const nlohmann::json& reply);

}  // namespace tributary::merge::combine
