#pragma once
// Combining sources into a view: records of the view's sources are matched by the view's key
// (after each source's field renaming), and each field takes the value of the first source, in
// the view's priority order, that has it. Every merged field records its provenance.
// Pure: no I/O. Thread safety: reentrant.

#include <vector>

#include "config/config.hpp"
#include "merge/record.hpp"

namespace tributary::merge::combine {

struct MergeStats {
  size_t records_without_key = 0;  // source records lacking a view key field (skipped)
  size_t duplicate_keys = 0;       // a source with two records for one view key (first kept)
};

// `snapshots` holds the latest snapshot of each source of the view, matched by source_id; a
// source without a snapshot contributes nothing. Output is ordered by key.
std::vector<MergedRecord> MergeView(const config::ViewConfig& view,
                                    const std::vector<SourceSnapshot>& snapshots,
                                    MergeStats* stats = nullptr);

}  // namespace tributary::merge::combine
