#pragma once
// One field of one merged record: picks the value by the field's strategy (priority, latest,
// vote, min, max, avg, union, first_non_empty) from what each source says, and tells whether the
// sources disagree beyond the field's compare options.
// Thread safety: pure functions.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/time.hpp"
#include "config/view_options.hpp"
#include "merge/record.hpp"

namespace tributary::merge::combine {

// What one source says about the field; candidates are given in the view's priority order.
struct Candidate {
  const std::string* source = nullptr;
  SystemTime fetched_at;
  const nlohmann::json* value = nullptr;  // never null; may be a JSON null
};

struct FieldOutcome {
  nlohmann::json value;
  FieldProvenance provenance;
};

// nullopt when no candidate has a value the strategy can use.
std::optional<FieldOutcome> MergeField(const config::FieldRule& rule,
                                       const std::vector<Candidate>& candidates);

// The conflict among candidates with content (HasContent), or nullopt when they all agree.
std::optional<FieldConflict> FindConflict(const std::string& field,
                                          const config::CompareOptions& compare,
                                          const std::vector<Candidate>& candidates);

}  // namespace tributary::merge::combine
