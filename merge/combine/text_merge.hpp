#pragma once
// One key's merge done on its records' JSON texts, without JSON trees. A full merge of a large
// view merges millions of keys, and reading every record into a tree, merging the trees and
// writing the result back as text was most of a merge job's time; most keys need none of it
// (one source has them, or the sources' values are taken as they are).
//
// Values are taken as the texts they are and compared as texts or as numbers. Where the texts
// alone cannot decide the way ViewMerger::Merge does — a strategy that computes its value (min,
// max, avg, union), strings compared case-folded, normalised or with a tolerance, a number
// against a string, lists or objects compared, a name with escapes — Merge says kUnsure and the
// caller merges trees instead. When it decides, its texts are exactly
// RenderText(*ViewMerger::Merge(…)) of the same records (tests compare the two on generated
// records).
// Precondition: record texts are canonical JSON (CanonicalJson), as SourceRecords keeps them:
// a value's text is then what dumping its parsed value writes.
// Thread safety: one thread per TextMerger (it keeps scratch space between keys).

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.hpp"
#include "merge/combine/view_merger.hpp"
#include "merge/record.hpp"

namespace tributary::merge::combine {

// One source record as a merge input, as text.
struct TextRecordRef {
  size_t source_index = 0;  // position of its source in the view's sources
  SystemTime fetched_at;    // the source's latest fetch
  std::string_view fields;  // canonical JSON object text, the source's own field names
};

class TextMerger {
 public:
  enum class Outcome {
    kMerged,   // `out` holds the merged record
    kNothing,  // the join excludes the key or no record is left (Merge's nullopt)
    kUnsure,   // the texts cannot decide: merge the trees
  };

  // `merger` must outlive this.
  explicit TextMerger(const ViewMerger& merger);

  // Merges `records` (in any order; reordered here) for `key` into `out`, whose texts are
  // replaced (their capacity reused).
  Outcome Merge(std::string_view key, std::vector<TextRecordRef>& records, MergedRecordText& out);

 private:
  // What a merge needs of one view field, worked out when a job first meets it: a full merge
  // meets the same few names millions of times, and looking each up in the view's maps (its
  // rename, rule and whether it is a key field) and escaping it again was a third of a job.
  struct ViewField {
    std::string quoted;  // the name as a JSON string, as JsonTextWriter::String writes it
    const config::FieldRule* rule = nullptr;
    bool is_key = false;
    uint32_t rank = 0;  // its place in name order among the fields met so far
  };
  // A field name met in one source's records, and the view fields it gives (FieldMapping).
  struct SourceName {
    std::string name;
    std::vector<const ViewField*> fields;
  };
  // More names than this in one source's records (per merger): the rest are merged on trees,
  // so that the names cached stay bounded whatever a source sends.
  static constexpr size_t kMaxNamesPerSource = 4096;

  // One (view field, value) pair a record offers.
  struct Named {
    const ViewField* field;
    const TextRecordRef* record;
    std::string_view value;  // canonical JSON text
  };

  // The view fields source `source_index`'s field `name` gives; `hint` is where the name is
  // looked for first (records list their names in the same order: the one after the previous
  // name's), and is moved past it. nullptr when there are too many names to cache. The
  // pointer is valid until the next call for the same source (the fields it lists, as long
  // as the merger).
  const SourceName* Resolve(size_t source_index, std::string_view name, size_t& hint);
  // The view field of that name, added when new (its rank is set by Rerank).
  const ViewField& Intern(std::string_view view_field);
  // Ranks the view fields in name order again, after Intern added some.
  void Rerank();
  // `{"fetched_at":…,"source":…}`: a field's provenance taken from one record with no other
  // source vouching for it, as AppendField writes it (remembered per source and fetch time).
  const std::string& PlainProvenance(const TextRecordRef& record);

  // The steps of Merge for one field, whose pairs are in candidates_. False: the texts cannot
  // decide (kUnsure).
  // Groups the candidates with content into classes_ of agreeing values, as Classes() in
  // field_strategy.cpp: how many, or nullopt when the texts cannot tell.
  std::optional<size_t> Classify(const config::CompareOptions& compare);
  // The value by the field's strategy, as MergeField (none: `taken` stays null), and for a vote
  // agreed by several sources, those sources (`vouching`, pointing into classes_).
  bool Pick(const config::FieldRule& rule, const Named*& taken,
            const std::vector<const Named*>*& vouching);
  // Writes the field's value into `out` and notes its provenance (see shared_provenance_).
  void AppendField(const ViewField& field, const Named& taken,
                   const std::vector<const Named*>* vouching, MergedRecordText& out);
  // Notes a field's provenance `entry`: while every field so far has the same entry, only that
  // entry and the fields are kept; at the first that differs, out.provenance gets the
  // per-field form of those so far, and each field's entry from then on.
  void NoteProvenance(const ViewField& field, std::string_view entry, MergedRecordText& out);
  // Closes out.provenance: the shared form when every field had the same entry (or {} for none).
  void FinishProvenance(MergedRecordText& out);
  // Writes the field's conflict into `conflicts` when the sources disagree, as FindConflict.
  bool AppendConflict(const ViewField& field, const config::CompareOptions& compare,
                      std::string& conflicts);

  const ViewMerger& merger_;
  std::vector<std::string> quoted_source_ids_;         // by source index
  // Interned by name (a map's values keep their addresses; its order is the name order).
  std::map<std::string, ViewField, std::less<>> view_fields_;
  bool ranks_stale_ = false;  // view fields were added since the last Rerank
  std::vector<std::vector<SourceName>> source_names_;  // by source index
  struct RememberedProvenance {
    SystemTime fetched_at;
    std::string text;  // empty: none yet
  };
  std::vector<RememberedProvenance> plain_provenance_;  // by source index
  // The key's provenance while all its fields have the same entry (MergedRecordText::provenance,
  // the shared form): that entry, and the fields so far. Once one differs, per_field_provenance_
  // and out.provenance holds the per-field form.
  std::string shared_provenance_;
  std::vector<const ViewField*> provenance_fields_;
  bool per_field_provenance_ = false;
  std::string vote_provenance_;  // scratch: the entry of a value several sources vouch for
  std::vector<Named> named_;                        // scratch: every pair of the key
  std::vector<const Named*> candidates_;            // scratch: one field's pairs, by priority
  std::vector<std::vector<const Named*>> classes_;  // scratch: agreeing values (vote, conflicts)
  std::vector<const Named*> conflicting_;           // scratch: a conflict's values by source id
};

}  // namespace tributary::merge::combine
