#pragma once
// Change detection: what changed between two versions of a record (field-level before/after),
// and between two snapshots of a source (records added, removed, changed).
// Thread safety: pure functions.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "merge/record.hpp"

namespace tributary::merge::combine {

enum class ChangeKind { kAdded, kRemoved, kChanged };
const char* ChangeKindName(ChangeKind kind);

struct FieldChange {
  std::string field;
  nlohmann::json before;  // null when the field was absent
  nlohmann::json after;   // null when the field is absent now
};

struct RecordChange {
  std::string key;
  ChangeKind kind = ChangeKind::kChanged;
  nlohmann::json before;            // the whole record before (null when added)
  nlohmann::json after;             // the whole record after (null when removed)
  std::vector<FieldChange> fields;  // ordered by field name
};

// The fields of two objects that differ (exact JSON equality; a missing field is null), by name.
std::vector<FieldChange> DiffFields(const nlohmann::json& before, const nlohmann::json& after);

// DiffFields of two records held as canonical JSON object texts ("null": no record), written as
// the canonical text of its JSON form, {"name":{"after":…,"before":…},…}, into `out`, without
// parsing either: the members of canonical texts come in name order and equal values have equal
// texts — except numbers of another type (1 and 1.0), which the trees call equal and this calls
// changed. False (and `out` unspecified) when a text is not one this scan reads with certainty
// (a name with escapes, not an object): the caller diffs the trees instead.
bool DiffFieldsText(std::string_view before, std::string_view after, std::string& out);
// The same, exactly as DiffFields of the trees: false also where two values' texts differ but
// their trees may not (an integer and a float, 0.0 and -0.0, two lists or two objects): the
// caller parses them then.
bool DiffFieldsTextExact(std::string_view before, std::string_view after, std::string& out);
// The same, always: from the texts when DiffFieldsText can read them, else from their trees.
std::string FieldDiffText(std::string_view before, std::string_view after);
// The JSON form of a field diff: {"name":{"before":…,"after":…},…}.
nlohmann::json ToJson(const std::vector<FieldChange>& fields);

// The changes from `before` to `after` (each a source's records, any order, keys unique; a
// later duplicate key is ignored as the store ignores it). Ordered by key. `before`/`after` in
// each change hold the record's fields.
std::vector<RecordChange> DiffRecords(const std::vector<Record>& before,
                                      const std::vector<Record>& after);

// nlohmann::json of one change: {"key","op","before","after","fields":{name:{"before","after"}}}.
nlohmann::json ToJson(const RecordChange& change);

}  // namespace tributary::merge::combine
