#pragma once
// What the view pipeline knows about one view between merges: which source records fall under
// each view key (after renaming and normalisers), and the merged record stored for each key.
// With it, a new snapshot of one source re-merges only the keys its changed records touch.
// Records without a value for the view key are in no entry; they are kept per source so that
// coverage can show them (a source whose key field went missing would otherwise vanish quietly).
// Thread safety: none; the view pipeline uses it on its thread only.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/flat_string_map.hpp"
#include "config/config.hpp"
#include "merge/combine/key_builder.hpp"
#include "service/source_records.hpp"
#include "service/storage/store.hpp"

namespace tributary::service {

class ViewIndex {
 public:
  // Per source of the view (by position), the source keys of its records under one view key,
  // sorted: the first is the one merged, more than one is a duplicate.
  struct Entry {
    std::vector<std::vector<std::string>> members;
  };

  explicit ViewIndex(const config::ViewConfig& view);

  const config::ViewConfig& view() const { return view_; }
  // The view definition as canonical JSON text: a change of it means a full recompute.
  const std::string& definition() const { return definition_; }
  const merge::combine::KeyBuilder& keys() const { return keys_; }
  std::optional<size_t> SourceIndex(const std::string& source_id) const;

  // Source `source_index`'s record `source_key` now has `fields` (nullptr: removed); its view
  // key is computed from them (renaming, normalisers). View keys whose members change are added
  // to `touched`.
  void Set(size_t source_index, const std::string& source_key, const nlohmann::json* fields,
           std::set<std::string>& touched);
  // Indexes every record of the given sources (by position; nullptr: no records yet).
  void Build(const std::vector<const SourceRecords*>& sources);

  const Entry* Find(const std::string& view_key) const;
  std::vector<std::string> Keys() const;  // every view key with at least one record
  // Adds to `out` the view keys where source `source_index` has a record and so does another
  // source: the keys whose `latest` fields a new fetch of that source can win.
  void SharedKeys(size_t source_index, std::set<std::string>& out) const;
  // Sources and duplicates of a view key, for coverage.
  storage::ViewKey KeyInfo(const std::string& view_key) const;
  // The same, for the entry Find gave (nullptr: no records).
  storage::ViewKey KeyInfo(const std::string& view_key, const Entry* entry) const;
  // The source keys of source `source_index`'s records that have no view key, sorted.
  const std::set<std::string>& Keyless(size_t source_index) const { return keyless_[source_index]; }
  size_t records_without_key() const;

  // The merged records as stored (canonical JSON text of merge::ToJson), by view key.
  FlatStringMap<std::string>& merged() { return merged_; }

 private:
  const config::ViewConfig view_;
  const std::string definition_;
  const merge::combine::KeyBuilder keys_;
  using EntryId = FlatStringMap<Entry>::Id;
  FlatStringMap<Entry> entries_;                     // by view key
  std::vector<FlatStringMap<EntryId>> view_key_of_;  // per source: source key -> entry
  FlatStringMap<std::string> merged_;
  std::vector<std::set<std::string>> keyless_;  // per source

  // Set, once the record's view key is known (`present`: the record exists; `touched` may be
  // null when nobody needs it, as when building).
  void SetKey(size_t source_index, const std::string& source_key, bool present,
              std::optional<std::string> view_key, std::set<std::string>* touched);
};

}  // namespace tributary::service
