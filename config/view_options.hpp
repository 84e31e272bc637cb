#pragma once
// The merge options of a view (key normalisers, join, per-field strategy and comparison) and the
// history retention settings: immutable value types, filled by config/view_definitions.cpp.
// Thread safety: plain values.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tributary::config {

// One step applied to a key value before matching, in the order listed.
struct KeyNormalizer {
  enum class Kind {
    kTrim,           // strip surrounding whitespace
    kCollapseSpace,  // runs of whitespace become one space (and trim)
    kCasefold,       // Unicode case folding ("Straße" and "STRASSE" match)
    kNfkc,           // Unicode compatibility composition ("ﬁ" -> "fi", full-width digits)
    kUnaccent,       // drop combining marks after decomposition ("Côte" -> "Cote")
    kDigits,         // keep only the digits 0-9
    kStripZeros,     // drop leading zeros ("004" -> "4"; "0" stays "0")
    kRegex,          // keep the first capture group (or the whole match); no match: no key
    kMap,            // replace a whole value found in `map` (after earlier steps)
  };
  Kind kind = Kind::kTrim;
  std::string pattern;                     // kRegex
  std::map<std::string, std::string> map;  // kMap

  friend bool operator==(const KeyNormalizer&, const KeyNormalizer&) = default;
};

enum class JoinKind { kOuter, kInner, kLeft };

enum class MergeStrategy {
  kPriority,       // the first source in the view's order that has a value
  kLatest,         // the value most recently fetched (changed); ties by priority
  kVote,           // the value most sources agree on (under the field's compare); ties by priority
  kMin,            // numbers: the smallest (non-numbers ignored; none: priority)
  kMax,            // numbers: the largest
  kAvg,            // numbers: the mean
  kUnion,          // lists (and scalars as one-element lists): every distinct item, in order
  kFirstNonEmpty,  // like priority, but empty strings/lists are skipped (priority keeps "")
};

enum class CompareMode {
  kExact,       // strings equal byte for byte
  kCasefold,    // equal after Unicode case folding
  kNormalized,  // equal after NFKC, case folding, accent folding and whitespace collapsing
};

// When two sources' values of a field count as the same (for conflicts and votes). Numbers
// (or numeric strings) agree when |a-b| <= tolerance or |a-b| <= relative * max(|a|,|b|).
struct CompareOptions {
  CompareMode mode = CompareMode::kExact;
  double tolerance = 0;
  double relative = 0;
  bool report_conflicts = true;  // "conflicts": false silences a field known to differ

  friend bool operator==(const CompareOptions&, const CompareOptions&) = default;
};

struct FieldRule {
  MergeStrategy strategy = MergeStrategy::kPriority;
  CompareOptions compare;

  friend bool operator==(const FieldRule&, const FieldRule&) = default;
};

// History retention: changes (and the record versions as-of reads use) older than max_age, or
// beyond the newest max_versions per record, are pruned in the background. Unset: kept.
struct HistoryConfig {
  std::optional<std::chrono::milliseconds> max_age;
  std::optional<int64_t> max_versions;
  std::chrono::milliseconds prune_every{std::chrono::minutes(1)};

  friend bool operator==(const HistoryConfig&, const HistoryConfig&) = default;
};

const char* JoinKindName(JoinKind j);
const char* MergeStrategyName(MergeStrategy s);
const char* CompareModeName(CompareMode m);

}  // namespace tributary::config
