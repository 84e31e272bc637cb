#pragma once
// The stored records of one source, held by the view pipeline to compute what a new snapshot
// changed (records added, removed, changed, with field-level before/after) and to feed merges.
// Fields are kept as canonical JSON text (nlohmann dumps objects with sorted keys), so equality
// is a string compare and memory stays close to the stored size (see the private part).
// It also holds the source's latest fetch time: every record of the source was fetched then
// (merges give it as each record's provenance time, and the `latest` strategy compares it).
// Thread safety: none; the view pipeline uses it on its thread only.

#include <algorithm>
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json_text.hpp"
#include "common/large_allocator.hpp"
#include "common/text_equal.hpp"
#include "common/time.hpp"
#include "merge/record.hpp"
#include "service/storage/store.hpp"

namespace tributary::service {

// What is kept of one stored record.
struct SourceRecordState {
  std::string_view fields;  // canonical JSON text; valid until the records change
  SystemTime changed_at;    // the fetch at which the content last changed
};

class SourceRecords {
 public:
  // What a snapshot changes: the store update (upserts with their canonical texts, removals,
  // change rows, all as text, sorted by key). The change rows are what the merges need too: a
  // record's fields before and after (ViewIndex::Set).
  struct Diff {
    storage::SourceUpdate update;
    // When the snapshot listed the stored records in another order than they are kept (after a
    // restart they come back in key order): their slot numbers in the snapshot's order, so
    // that Apply keeps them that way and the next fetch's Compare reads them in order.
    std::vector<uint32_t> snapshot_order;
  };

  // `fetched_at`: the stored snapshot's fetch time (epoch when never fetched).
  void Load(std::vector<storage::StoredRecord> records, SystemTime fetched_at);
  // A later duplicate key is ignored (the extractor keeps the first record of a key). Records
  // are compared by their text's hash (merge::FieldsTextHash; a record from a worker's reply
  // comes with it), so an unchanged record's text is not read at all; a changed record's field
  // diff is written from the two texts (merge::combine::DiffFieldsText), none parsed.
  Diff Compare(const merge::SourceSnapshot& snapshot) const;
  // A fetch that confirmed the stored records without extracting them (a 304, or the same body
  // as before): no record changes, only the fetch time moves on.
  Diff Confirm(const std::string& source_id, SystemTime fetched_at) const;
  void Apply(const Diff& diff);

  std::optional<SourceRecordState> Find(std::string_view key) const;

  // Where a record is kept, for a caller that finds it again and again (ViewIndex: a full
  // merge reads every record once more): the record is then read without a lookup in the
  // table (its cell, the probe comparing keys). A hint goes stale when its record changes or
  // the records are packed; FindHinted notices (the slot holds another key, or none) and looks
  // the key up instead.
  using Hint = uint32_t;
  static constexpr Hint kNoHint = UINT32_MAX;
  // Calls fn(hint, key, fields) for every record, in no particular order.
  template <typename Fn>
  void ForEachHinted(Fn&& fn) const {
    for (size_t s = 0; s < slots_.size(); ++s) {
      if (slots_[s].live) fn(static_cast<Hint>(s), KeyOf(slots_[s]), FieldsOf(slots_[s]));
    }
  }
  // Calls fn(key, fields) for every record, in no particular order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    ForEachHinted([&](Hint, std::string_view key, std::string_view fields) { fn(key, fields); });
  }
  // Find, by the key's hint first.
  std::optional<SourceRecordState> FindHinted(std::string_view key, Hint hint) const {
    if (SlotNumberHas(hint + size_t{1}, key)) return StateOf(slots_[hint]);
    return Find(key);
  }
  // Prefetching for a loop over many hinted records, in two passes over a batch, each starting
  // to load what the next one reads: the slot, then the text, which FindHinted reads. The cache
  // misses of a batch then overlap instead of following one another.
  void PrefetchSlot(Hint hint) const {
    if (hint < slots_.size()) __builtin_prefetch(&slots_[hint]);
  }
  void PrefetchText(Hint hint) const {
    if (hint < slots_.size()) __builtin_prefetch(text_.data() + slots_[hint].offset);
  }
  size_t size() const { return live_; }
  // When the records were last fetched (a snapshot applied or confirmed).
  SystemTime fetched_at() const { return fetched_at_; }

 private:
  // The records are packed: every key and fields text in one buffer, a fixed-size slot per
  // record, and an open-addressing table of slot numbers. A node-based hash map cost ~150 bytes
  // per record besides the texts; this costs 72-88 (a 56-byte slot, 8-byte cells in a table
  // two to four times the records), and a lookup touches three cache lines (cell, slot, text),
  // two when the key is short (its bytes in the slot).
  // Replaced and removed records leave garbage behind, compacted once it outweighs the rest.
  static constexpr size_t kKeyStart = 16;  // a key's bytes its slot holds (Slot::key_start)
  struct Slot {
    size_t offset = 0;  // key, then fields, in text_
    uint32_t key_size = 0;
    uint32_t fields_size = 0;
    int64_t changed_ms = 0;
    uint64_t fields_hash = 0;  // merge::FieldsTextHash of the fields
    uint32_t hash_tag = 0;     // the key hash's low 32 bits (what the slot's table cell holds)
    bool live = false;
    // The key's first kKeyStart bytes (the rest zero): a key that short is compared without
    // reading the text. A snapshot's comparison with the stored records compares a key per
    // record, and reading the texts for it was most of the memory it streamed.
    std::array<char, kKeyStart> key_start{};
  };
  static_assert(sizeof(Slot) == 56, "the memory figures above count 56-byte slots");
  // Whether `slot` is `key`'s.
  bool SlotHasKey(const Slot& slot, std::string_view key) const {
    if (slot.key_size != key.size()) return false;
    const std::string_view start(slot.key_start.data(), std::min(key.size(), kKeyStart));
    if (!TextEqual(start, key.substr(0, kKeyStart))) return false;
    return key.size() <= kKeyStart ||
           TextEqual(KeyOf(slot).substr(kKeyStart), key.substr(kKeyStart));
  }
  // Whether slot number `number` (+ 1, as a table cell holds it; any value) is `key`'s live
  // record: how a guess at a record's slot (the one after the previous record's, a hint) is
  // checked.
  bool SlotNumberHas(size_t number, std::string_view key) const {
    return number != kEmpty && number <= slots_.size() && slots_[number - 1].live &&
           SlotHasKey(slots_[number - 1], key);
  }
  static size_t HashOf(std::string_view key) { return std::hash<std::string_view>{}(key); }
  // A table cell: the slot number + 1 in the low half (kEmpty: no slot), the key hash's low 32
  // bits in the high half. A probe reads the slot and text of a cell only when the hash bits
  // match (without them, every cell passed on the way cost two more cache misses), and a
  // rebuild places cells without reading keys. The table never has more than 2^32 cells, so a
  // cell's home is its hash bits & mask.
  using Cell = uint64_t;
  static constexpr uint32_t kEmpty = 0;  // a slot number (+ 1) naming no slot
  static uint32_t SlotNumberIn(Cell cell) { return static_cast<uint32_t>(cell); }
  static Cell MakeCell(uint32_t hash_tag, uint32_t slot_number) {
    return (Cell{hash_tag} << 32) | slot_number;
  }
  static constexpr size_t kSmallText = 64 * 1024;
  // How far ahead (in records) Compare prefetches the text of a snapshot record that comes
  // without its hash.
  static constexpr size_t kCompareAhead = 8;
  // Fewer records out of order than this are not worth reordering the rest for.
  static constexpr size_t kReorderAtLeast = 256;

  std::string_view KeyOf(const Slot& slot) const {
    return std::string_view(text_).substr(slot.offset, slot.key_size);
  }
  std::string_view FieldsOf(const Slot& slot) const {
    return std::string_view(text_).substr(slot.offset + slot.key_size, slot.fields_size);
  }
  SourceRecordState StateOf(const Slot& slot) const {
    return SourceRecordState{FieldsOf(slot), FromUnixMillis(slot.changed_ms)};
  }

  // The table cell holding `key`'s slot, or the empty cell where it would go.
  size_t CellOf(std::string_view key) const { return CellOf(key, HashOf(key)); }
  size_t CellOf(std::string_view key, size_t hash) const;
  // `key`'s slot number + 1 (a table cell's content), or kEmpty when there is no such record.
  uint32_t SlotNumberOf(std::string_view key) const {
    return table_.empty() ? kEmpty : SlotNumberIn(table_[CellOf(key)]);
  }
  void Upsert(std::string_view key, std::string_view fields, SystemTime changed_at);
  void Erase(std::string_view key);
  // Rebuilds the table for `live_` records (and packs text_ and slots_ when `pack`: the slots
  // listed in `order` first, in that order, then the other live ones as they were).
  void Rebuild(bool pack, const std::vector<uint32_t>* order = nullptr);

  // Huge pages once large (LargeAllocator): a source of a million records fills hundreds of MB.
  using Text = std::basic_string<char, std::char_traits<char>, LargeAllocator<char>>;
  using Slots = std::vector<Slot, LargeAllocator<Slot>>;
  using Cells = std::vector<Cell, LargeAllocator<Cell>>;
  Text text_;
  Slots slots_;
  Cells table_;  // size a power of two, at most half full
  size_t live_ = 0;
  size_t garbage_bytes_ = 0;  // in text_, of replaced and removed records
  SystemTime fetched_at_;
};

}  // namespace tributary::service
