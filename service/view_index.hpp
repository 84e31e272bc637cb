#pragma once
// What the view pipeline knows about one view between merges: which source records fall under
// each view key (after renaming and normalisers). With it, a new snapshot of one source
// re-merges only the keys its changed records touch. It keeps no merged records: what a key
// merged to before an update is what its records before the update merge to, which the
// pipeline takes from here before the update changes anything (AppendRecordsOf) and sends with
// the key's records after it (merge/combine/merge_job.hpp). Only a full recompute, whose view
// definition may have changed, holds the stored merged records while it runs (merged()).
// Records without a value for the view key are in no entry; they are kept per source so that
// coverage can show them (a source whose key field went missing would otherwise vanish quietly).
// Thread safety: none; the view pipeline uses it on its thread only.

#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/flat_string_map.hpp"
#include "config/config.hpp"
#include "merge/combine/key_builder.hpp"
#include "merge/combine/merge_job.hpp"
#include "service/source_records.hpp"
#include "service/storage/store.hpp"

namespace tributary::service {

class ViewIndex {
 public:
  // One record under a view key: its source (by position in the view) and its key there.
  struct Member {
    uint32_t source = 0;
    // Where the source keeps the record (SourceRecords::Hint), as Build found it: a full
    // merge's walk reads it without a lookup. Stale once the record changes (kNoHint for a
    // record Set adds), which only costs the lookup.
    SourceRecords::Hint hint = SourceRecords::kNoHint;
    std::string key;
  };
  // The records under one view key, sorted by source, then key: a source's first is the one
  // merged, more than one is a duplicate. Two are kept inline: a vector per source cost an
  // allocation per record, and a full merge two pointer chases per record.
  struct Entry {
    boost::container::small_vector<Member, 2> members;
  };

  using EntryId = uint32_t;  // FlatStringMap<Entry>::Id

  explicit ViewIndex(const config::ViewConfig& view);

  const config::ViewConfig& view() const { return view_; }
  // The view definition as canonical JSON text: a change of it means a full recompute.
  const std::string& definition() const { return definition_; }
  const merge::combine::KeyBuilder& keys() const { return keys_; }
  std::optional<size_t> SourceIndex(const std::string& source_id) const;

  // A record's view keys before and after one change of its source's diff (SourceRecords::
  // Compare; nullopt: none), from its fields before and after (renaming, normalisers), so the
  // index keeps no map from source keys to view keys: the keys the change touches, known
  // before anything changes. The fields before must be the text the index last saw for the
  // record (built or set).
  struct KeyMove {
    std::optional<std::string> before, after;
  };
  KeyMove KeysOf(size_t source_index, const storage::ChangeText& change) const;
  // The same for each of a source diff's changes (by change), with the keys they touch added
  // to `touched`: what an update works out before it changes anything.
  std::vector<KeyMove> KeysOf(size_t source_index, const std::vector<storage::ChangeText>& changes,
                              std::set<std::string>& touched) const;
  // Applies one change of source `source_index`, with the keys KeysOf gave for it.
  void Set(size_t source_index, const storage::ChangeText& change, KeyMove keys);
  // Indexes every record of the given sources (by position; nullptr: no records yet).
  void Build(const std::vector<const SourceRecords*>& sources);

  const Entry* Find(std::string_view view_key) const;
  std::vector<std::string> Keys() const;  // every view key with at least one record
  size_t size() const { return entries_.size(); }  // view keys with at least one record
  // The entries by id, for a walk over all of them that can stop and resume while the index
  // does not change (a full merge). Ids are below entry_id_end(); EntryAt is nullptr for an id
  // not in use. Id order is the order in which keys first got a record, so a walk in it reads
  // each source's records mostly in the order they are kept rather than at random.
  EntryId entry_id_end() const { return entries_.id_end(); }
  const Entry* EntryAt(EntryId id) const {
    return entries_.Live(id) ? &entries_.ValueOf(id) : nullptr;
  }
  const std::string& KeyAt(EntryId id) const { return entries_.KeyOf(id); }

  // Appends `view_key`'s item to a merge_keys job body (merge/combine/merge_job.hpp): the
  // first record of each source under it (`entry`, from Find or EntryAt; nullptr: none),
  // read from `sources` (the view's sources by position), and what it merged to before:
  // `old_records` when given (AppendRecordsOf before the update), else the record merged() holds
  // for it. Returns false, appending nothing, when there are neither records nor a stored one.
  bool AppendMergeItem(std::string& body, std::string_view view_key, const Entry* entry,
                       const std::vector<const SourceRecords*>& sources,
                       std::optional<std::string_view> old_records = std::nullopt) const;
  // Appends the records a merge of each of `keys` takes now, as MergeItem::old_records carries
  // them, one key after the other: key i's are out[at[i], at[i + 1]) (`at` gets keys.size() + 1
  // elements appended). Called before an update changes the sources or the index.
  void AppendRecordsOf(const std::set<std::string>& keys,
                       const std::vector<const SourceRecords*>& sources, std::string& out,
                       std::vector<size_t>& at) const;
  // A full merge's walk: appends the items of the entries from id `next` on, calling
  // each(key, entry) for every entry taken, until `max_keys` entries are taken in this call or
  // the body holds `max_bytes` (an item is started only below it). Returns the id to go on
  // from (entry_id_end() when done). Each key's stored record is looked up in merged() (none
  // while it is empty, as for a view's first merge), which must not change during the walk.
  EntryId AppendEntries(std::string& body, EntryId next, size_t max_bytes, size_t max_keys,
                        const std::vector<const SourceRecords*>& sources,
                        const std::function<void(std::string_view, const Entry&)>& each) const;
  // Adds to `out` the view keys where source `source_index` (whose records are `records`, as
  // the index last saw them) has a record and so does another source: the keys whose `latest`
  // fields a new fetch of that source can win. A source with few records next to the view's
  // keys has its records' keys looked up; otherwise every entry is read (in order).
  void SharedKeys(size_t source_index, const SourceRecords& records,
                  std::set<std::string>& out) const;
  // Sources and duplicates of a view key, for coverage.
  storage::ViewKey KeyInfo(std::string_view view_key) const;
  // The same, for the entry Find gave (nullptr: no records).
  storage::ViewKey KeyInfo(std::string_view view_key, const Entry* entry) const;
  // The source keys of source `source_index`'s records that have no view key, sorted.
  const std::set<std::string>& Keyless(size_t source_index) const { return keyless_[source_index]; }
  size_t records_without_key() const;

  // While a full recompute runs: the stored merged records (compared records:
  // merge/combine/compared_record.hpp), by view key, as its merges compare with them. Empty
  // otherwise.
  FlatStringMap<std::string>& merged() { return merged_; }

 private:
  const config::ViewConfig view_;
  const std::string definition_;
  const merge::combine::KeyBuilder keys_;
  static_assert(std::is_same_v<EntryId, FlatStringMap<Entry>::Id>);
  FlatStringMap<Entry> entries_;  // by view key
  FlatStringMap<std::string> merged_;
  std::vector<std::set<std::string>> keyless_;  // per source

  // Set, once the record's old and new view keys are known (`present`: the record exists;
  // `hint`: where the source keeps the record, if known). `view_hash` is the new view key's
  // (FlatStringMap::HashOf).
  void SetKey(size_t source_index, std::string_view source_key, bool present,
              const std::optional<std::string>& old_view_key, std::optional<std::string> view_key,
              size_t view_hash, SourceRecords::Hint hint);
  // AppendMergeItem, with the view key's hash in merged_ given (nullptr: computed here).
  bool AppendItem(std::string& body, std::string_view view_key, const Entry* entry,
                  const std::vector<const SourceRecords*>& sources, const size_t* merged_hash,
                  std::optional<std::string_view> old_records) const;
  // Prefetches the records a merge of each of `entries` (n of them; nullptr: none) takes, in
  // two passes (their slots, then texts, by the members' hints) so that the cache misses of a
  // batch overlap.
  void PrefetchRecords(const Entry* const* entries, size_t n,
                       const std::vector<const SourceRecords*>& sources) const;
  // The records a merge of `entry` takes, into `out`.
  static void CollectRecords(const Entry& entry, const std::vector<const SourceRecords*>& sources,
                             merge::combine::MergeItemRecords& out);
};

}  // namespace tributary::service
