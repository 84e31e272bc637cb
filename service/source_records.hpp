#pragma once
// The stored records of one source, held by the view pipeline to compute what a new snapshot
// changed (records added, removed, changed, with field-level before/after) and to feed merges.
// Fields are kept as canonical JSON text (nlohmann dumps objects with sorted keys), so equality
// is a string compare and memory stays close to the stored size.
// It also holds the source's latest fetch time: every record of the source was fetched then
// (merges give it as each record's provenance time, and the `latest` strategy compares it).
// Thread safety: none; the view pipeline uses it on its thread only.

#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/json_text.hpp"
#include "common/time.hpp"
#include "merge/record.hpp"
#include "service/storage/store.hpp"

namespace tributary::service {

struct SourceRecordState {
  std::string fields;     // canonical JSON text
  SystemTime changed_at;  // the fetch at which the content last changed
};

class SourceRecords {
 public:
  // What a snapshot changes: the store update (upserts, removals, change rows) and, for the
  // merges, the touched keys with the new fields (parsed) of those still present.
  struct Diff {
    storage::SourceUpdate update;
    std::vector<std::string> touched;  // source keys added, changed or removed
    std::unordered_map<std::string, const nlohmann::json*> new_fields;  // into the snapshot
  };

  // `fetched_at`: the stored snapshot's fetch time (epoch when never fetched).
  void Load(std::vector<storage::StoredRecord> records, SystemTime fetched_at);
  // `snapshot` must outlive the Diff (new_fields point into it). A later duplicate key is
  // ignored (the extractor keeps the first record of a key).
  Diff Compare(const merge::SourceSnapshot& snapshot) const;
  // A fetch that confirmed the stored records without extracting them (a 304, or the same body
  // as before): no record changes, only the fetch time moves on.
  Diff Confirm(const std::string& source_id, SystemTime fetched_at) const;
  void Apply(const Diff& diff);

  const SourceRecordState* Find(const std::string& key) const;
  const std::unordered_map<std::string, SourceRecordState>& records() const { return records_; }
  size_t size() const { return records_.size(); }
  // When the records were last fetched (a snapshot applied or confirmed).
  SystemTime fetched_at() const { return fetched_at_; }

 private:
  std::unordered_map<std::string, SourceRecordState> records_;
  SystemTime fetched_at_;
};

}  // namespace tributary::service
