#pragma once
// The record model shared by extraction, merging, storage and the API.
// A Record is what one source says about one key; a MergedRecord is what a view says about it.
// Field values are JSON values (string, number, boolean, null, or arrays of them).

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.hpp"

namespace tributary::merge {

struct Record {
  // Canonical key text: the key field's value as text, or for composite keys a JSON array of
  // the values' texts (["Dune","1965"]).
  std::string key;
  // The fields as a tree; or a discarded value when the record holds them only as text: a
  // record read from a worker's extract reply is compared with the stored one and stored by
  // its text, and read into a tree (FieldsTreeOf) only when it changed.
  nlohmann::json fields = nlohmann::json::object();
  // The canonical JSON text of the fields (CanonicalJson) when the record came with it — from a
  // worker's extract reply, where it is the only copy (`fields` discarded) —, else empty. The
  // daemon compares the record with the stored one and stores it by this text. Whoever changes
  // `fields` clears it (and fields_text_hash).
  std::string fields_text = {};
  // FieldsTextHash(fields_text) when the record came with its text (SetFieldsText sets both),
  // else 0: the daemon tells a changed record from the stored one by it (SourceRecords).
  uint64_t fields_text_hash = 0;
};

struct FieldProvenance {
  std::string source;  // the source whose value was taken (the first, by priority, of `from`)
  SystemTime fetched_at;
  // Every source that contributed when several did (strategies avg and union); else empty.
  std::vector<std::string> from = {};

  friend bool operator==(const FieldProvenance&, const FieldProvenance&) = default;
};

// Sources that disagree about a field (beyond the field's compare options): each source's value.
struct FieldConflict {
  std::string field;
  std::map<std::string, nlohmann::json> values;  // source id -> its value

  friend bool operator==(const FieldConflict&, const FieldConflict&) = default;
};

struct MergedRecord {
  std::string key;
  nlohmann::json fields = nlohmann::json::object();
  std::vector<std::string> sources;  // sources that have this key, in priority order
  std::map<std::string, FieldProvenance> provenance;  // field name -> where its value came from
  std::vector<FieldConflict> conflicts;               // ordered by field name
};

nlohmann::json ToJson(const FieldConflict& c);
// {"field": {"source":…, "fetched_at": RFC 3339 [, "from": […]]}, …}: the form the API shows.
nlohmann::json ProvenanceToJson(const std::map<std::string, FieldProvenance>& provenance);
// Reads a provenance as ProvenanceToJson writes it, or in the shared form RenderText stores
// (MergedRecordText::provenance: one entry in a list, every field of `fields` having it);
// malformed entries are skipped.
std::map<std::string, FieldProvenance> ProvenanceFromJson(const nlohmann::json& j,
                                                          const nlohmann::json& fields);
// Whether `j` is a provenance in the shared form: one entry, an object, in a list.
bool IsSharedProvenance(const nlohmann::json& j);
// The field diff of an added record, {name: {"after": value, "before": null}} for each field
// with a value: what DiffFields gives against nothing, and what a change stored without its
// diff (storage::ChangeText::fields "") stands for.
nlohmann::json AddedFieldDiff(const nlohmann::json& after);
// Reads conflicts as ToJson writes them ([{"field":…,"values":{…}}]); malformed items are skipped.
std::vector<FieldConflict> ConflictsFromJson(const nlohmann::json& j);

// One source's records as extracted from one fetch.
struct SourceSnapshot {
  std::string source_id;
  SystemTime fetched_at;
  std::vector<Record> records;
};

nlohmann::json ToJson(const Record& r);
Record RecordFromJson(const nlohmann::json& j);
// The canonical JSON text of r.fields: r.fields_text when the record has it, else written into
// `scratch` (which the result then points into).
std::string_view FieldsTextOf(const Record& r, std::string& scratch);
// A 64-bit hash of a record's canonical fields text (XXH3; never 0). Equal hashes are taken for
// equal texts: a changed record goes unseen with a chance of 2^-64 (a page whose body hash is
// unchanged already skips extraction on the same kind of evidence, with 128 bits).
uint64_t FieldsTextHash(std::string_view text);
// Gives r its fields as canonical text, with the text's hash (r.fields is left as it is).
void SetFieldsText(Record& r, std::string_view text);
// The hash of FieldsTextOf(r): r.fields_text_hash, or computed (from `scratch` if need be).
uint64_t FieldsTextHashOf(const Record& r, std::string& scratch);
// r's fields as a tree: a copy of r.fields, or r.fields_text parsed when the record holds its
// fields only as text (fields discarded: a record read from a worker's reply).
nlohmann::json FieldsTreeOf(const Record& r);
// Calls fn(name, filled) for each of r's fields, `filled` when the value is not null, "" or []
// (what the fill ratios count). A record held as text is read without building its tree.
void ForEachFieldFilled(const Record& r,
                        const std::function<void(std::string_view name, bool filled)>& fn);
nlohmann::json ToJson(const MergedRecord& r);
MergedRecord MergedRecordFromJson(const nlohmann::json& j);

// A merged record as the canonical JSON texts of its parts: what the store writes (a column
// each) and what the view pipeline keeps to compare the next merge with. Rendered directly
// (JsonTextWriter), never through a JSON tree: a full merge renders millions of them.
struct MergedRecordText {
  std::string key;
  std::string fields;      // {"name": value, …}
  std::string sources;     // ["a", "b"]
  // As ProvenanceToJson, or, when every field has the same entry, the shared form: that entry
  // alone in a list, [{"fetched_at":…,"source":…}]. Most records take all their values from
  // one source (a key only one source has, or a priority field the first source fills), and
  // the per-field form repeated the entry for each field: it was half of a typical stored
  // record. ProvenanceFromJson reads either.
  std::string provenance;
  std::string conflicts;   // [{"field":…,"values":{…}}, …]
  bool has_conflicts = false;

  // The whole record: exactly CanonicalJson(ToJson(record)), with the provenance as above.
  std::string Whole() const;
};
MergedRecordText RenderText(const MergedRecord& r);
// The RFC 3339 text of a provenance time, as RenderText writes it (the thread's last few are
// remembered: valid until the thread's next call).
const std::string& FetchedAtText(SystemTime t);
// The whole record text from its parts' texts (what MergedRecordText::Whole writes).
std::string WholeRecordText(std::string_view key, std::string_view fields, std::string_view sources,
                            std::string_view provenance, std::string_view conflicts);
// The same, appended to `out` (a caller writing many records reuses one buffer).
void AppendWholeRecordText(std::string& out, std::string_view key, std::string_view fields,
                           std::string_view sources, std::string_view provenance,
                           std::string_view conflicts);
// The parts of `key`'s whole record text (as AppendWholeRecordText writes it) whose conflicts,
// fields, provenance and sources texts have the given lengths, as pieces of `whole`: each
// member name must be where the lengths put it, and the key in it must be `key`. False when
// they are not.
struct WholeRecordParts {
  std::string_view conflicts, fields, provenance, sources;
};
bool SplitWholeRecordText(std::string_view whole, std::string_view key, int64_t conflicts,
                          int64_t fields, int64_t provenance, int64_t sources,
                          WholeRecordParts& parts);

// Builds the canonical key text from key values (see Record::key). Returns false when a key
// value is missing, null or empty.
bool MakeKey(const std::vector<const nlohmann::json*>& values, std::string& key);

}  // namespace tributary::merge
