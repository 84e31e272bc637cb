#pragma once
// Combining sources into a view. Records of the view's sources are matched by the view key
// (KeyBuilder: renaming, then normalisers); the view's join decides which keys exist (outer:
// any source, inner: every source, left: the first source); each field takes its value by the
// field's strategy, carries its provenance, and sources that disagree beyond the field's compare
// options are listed as a conflict.
// Pure: no I/O. Thread safety: a ViewMerger is immutable after construction (const methods may
// run concurrently); MergeView is reentrant.

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/small_sort.hpp"
#include "config/config.hpp"
#include "merge/combine/key_builder.hpp"
#include "merge/record.hpp"

namespace tributary::merge::combine {

// One source record as a merge input.
struct SourceRecordRef {
  size_t source_index = 0;  // position of its source in the view's sources
  SystemTime fetched_at;    // the source's latest fetch (provenance time; `latest` compares it)
  const nlohmann::json* fields = nullptr;  // the source's own field names
};

// A key's records as a merge takes them: in priority order, each source's first record only,
// records of no view source dropped, and those `drop` rejects (after the first of each source
// is chosen). False when none is left or the view's join excludes the key.
template <class Ref, class Drop>
bool OrderForMerge(const config::ViewConfig& view, std::vector<Ref>& records, Drop drop) {
  StableSortSmall(records.begin(), records.end(),
                  [](const auto& a, const auto& b) { return a.source_index < b.source_index; });
  records.erase(
      std::unique(records.begin(), records.end(),
                  [](const auto& a, const auto& b) { return a.source_index == b.source_index; }),
      records.end());
  records.erase(std::remove_if(
                    records.begin(), records.end(),
                    [&](const Ref& r) { return r.source_index >= view.sources.size() || drop(r); }),
                records.end());
  if (records.empty()) return false;
  switch (view.join) {
    case config::JoinKind::kOuter:
      return true;
    case config::JoinKind::kInner:
      return records.size() == view.sources.size();
    case config::JoinKind::kLeft:
      return records.front().source_index == 0;
  }
  return true;
}

class ViewMerger {
 public:
  explicit ViewMerger(const config::ViewConfig& view);

  const config::ViewConfig& view() const { return view_; }
  const KeyBuilder& keys() const { return keys_; }
  const config::FieldRule& RuleFor(std::string_view field) const;
  // A view key field: sources matched by it after normalisation never conflict over it.
  bool IsKeyField(std::string_view field) const { return key_fields_.count(field) > 0; }

  // Merges what the sources say about one key. `records` may come in any order; a source with
  // several records for the key contributes its first one (callers report duplicates).
  // nullopt when the join excludes the key or nothing is left.
  std::optional<MergedRecord> Merge(const std::string& key,
                                    std::vector<SourceRecordRef> records) const;

 private:
  config::ViewConfig view_;
  KeyBuilder keys_;
  std::set<std::string, std::less<>> key_fields_;
};

struct MergeStats {
  size_t records_without_key = 0;  // source records lacking a view key value (skipped)
  size_t duplicate_keys = 0;       // extra records of one source for one view key (first kept)
  // source id -> the view keys it has more than one record for.
  std::map<std::string, std::set<std::string>> duplicates;
};

// Merges whole snapshots (each the latest of one source, matched by source_id; a source without
// one contributes nothing). Output is ordered by key.
std::vector<MergedRecord> MergeView(const config::ViewConfig& view,
                                    const std::vector<SourceSnapshot>& snapshots,
                                    MergeStats* stats = nullptr);

}  // namespace tributary::merge::combine
