#include "service/source_records.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <unordered_set>

#include "common/json_parse.hpp"
#include "merge/combine/record_diff.hpp"

namespace tributary::service {

void SourceRecords::Load(std::vector<storage::StoredRecord> records, SystemTime fetched_at) {
  fetched_at_ = fetched_at;
  text_.clear();
  slots_.clear();
  table_.clear();
  live_ = 0;
  garbage_bytes_ = 0;
  slots_.reserve(records.size());
  // Written again canonically: a text stored by an older version compares as what it means.
  for (auto& r : records) {
    Upsert(r.key, CanonicalJson(ParseJsonOrDiscarded(r.fields_text)), r.changed_at);
  }
  Rebuild(true);
}

SourceRecords::Diff SourceRecords::Compare(const merge::SourceSnapshot& snapshot) const {
  Diff diff;
  auto& u = diff.update;
  u.source_id = snapshot.source_id;
  u.fetched_at = snapshot.fetched_at;
  // What the snapshot has seen already: a bit per stored record, and the keys it adds. A set
  // of every key cost an allocation per record (a third of a million-record comparison).
  std::vector<bool> seen_stored(slots_.size());
  std::unordered_set<std::string_view> seen_added;
  // Room for every record the snapshot has beyond the stored ones (all of them at a source's
  // first fetch): a million insertions would rehash twenty times.
  if (snapshot.records.size() > live_) seen_added.reserve(snapshot.records.size() - live_);
  size_t unique = 0;
  std::string scratch;
  size_t kept = 0;  // stored keys the snapshot still has
  // A source fetched again lists its records in the order it did before, which is the order
  // of the stored slots (changed records move to the end): each record is looked for first in
  // the slot after the previous record's. A million hash lookups miss the cache at every step;
  // this reads the slots and texts in order.
  size_t expected = 0;
  size_t out_of_order = 0;  // stored records not where the previous one's successor was
  const auto& records = snapshot.records;
  for (size_t at = 0; at < records.size(); ++at) {
    const merge::Record& r = records[at];
    // The texts a few records ahead, when they will be read (to be hashed): each is an
    // allocation of its own, and the comparison of a million of them waited on memory.
    if (at + kCompareAhead < records.size() && records[at + kCompareAhead].fields_text_hash == 0) {
      __builtin_prefetch(records[at + kCompareAhead].fields_text.data());
    }
    uint32_t cell = kEmpty;
    if (SlotNumberHas(expected + 1, r.key)) {
      cell = static_cast<uint32_t>(expected + 1);
    } else {
      cell = SlotNumberOf(r.key);
      out_of_order += cell != kEmpty ? 1 : 0;
    }
    if (cell != kEmpty) {
      expected = cell;  // the slot after this one
      if (seen_stored[cell - 1]) continue;
      seen_stored[cell - 1] = true;
      ++kept;
    } else if (!seen_added.insert(r.key).second) {
      continue;
    }
    ++unique;
    const Slot* stored = cell != kEmpty ? &slots_[cell - 1] : nullptr;
    // By the hashes: neither text is read unless the record changed (with a text written for
    // the hash, FieldsTextOf writes the same text again into the same scratch).
    if (stored != nullptr && stored->fields_hash == merge::FieldsTextHashOf(r, scratch)) continue;
    const std::string_view fields_text = merge::FieldsTextOf(r, scratch);
    storage::ChangeText c;
    c.key = r.key;
    c.after = fields_text;
    if (stored == nullptr) {
      c.op = "added";
    } else {
      c.op = "changed";
      c.before = FieldsOf(*stored);
    }
    c.fields = merge::combine::FieldDiffText(c.before, c.after);
    u.changes.push_back(std::move(c));
    u.upserts.push_back(
        storage::StoredRecord{r.key, std::string(fields_text), snapshot.fetched_at});
  }
  // Every stored key seen again (the usual case): nothing was removed, no need to look.
  if (kept < live_) {
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (!slots_[i].live || seen_stored[i]) continue;
      const std::string_view key = KeyOf(slots_[i]);
      storage::ChangeText c;
      c.key = key;
      c.op = "removed";
      c.before = FieldsOf(slots_[i]);
      c.fields = merge::combine::FieldDiffText(c.before, c.after);
      u.changes.push_back(std::move(c));
      u.removed.emplace_back(key);
    }
  }
  // Mostly out of order (a quarter or more), and large enough to matter: Apply reorders, by
  // the stored slots in the snapshot's order (listed only then: it is rare, after a restart;
  // Rebuild skips a slot listed twice).
  if (out_of_order >= kReorderAtLeast && out_of_order * 4 >= kept) {
    diff.snapshot_order.reserve(kept);
    for (const auto& r : snapshot.records) {
      if (const uint32_t cell = SlotNumberOf(r.key); cell != kEmpty) {
        diff.snapshot_order.push_back(cell - 1);
      }
    }
  }
  std::sort(
      u.changes.begin(), u.changes.end(),
      [](const storage::ChangeText& a, const storage::ChangeText& b) { return a.key < b.key; });
  u.record_count = unique;
  return diff;
}

SourceRecords::Diff SourceRecords::Confirm(const std::string& source_id,
                                           SystemTime fetched_at) const {
  Diff diff;
  diff.update.source_id = source_id;
  diff.update.fetched_at = fetched_at;
  diff.update.record_count = live_;
  return diff;
}

void SourceRecords::Apply(const Diff& diff) {
  fetched_at_ = diff.update.fetched_at;
  for (const auto& key : diff.update.removed) Erase(key);
  const auto& upserts = diff.update.upserts;
  for (size_t i = 0; i < upserts.size(); ++i) {
    Upsert(upserts[i].key, upserts[i].fields_text, upserts[i].changed_at);
  }
  // Garbage is packed away once it outweighs the live records; small sources (most of them,
  // when thousands are configured) also give back the buffers' spare capacity. Records the
  // snapshot listed in another order are packed in its order.
  const bool small = text_.size() < kSmallText;
  if (!diff.snapshot_order.empty()) {
    Rebuild(true, &diff.snapshot_order);
  } else if (garbage_bytes_ > text_.size() / 2 || (small && text_.capacity() > text_.size())) {
    Rebuild(true);
  }
}

std::optional<SourceRecordState> SourceRecords::Find(std::string_view key) const {
  const uint32_t number = SlotNumberOf(key);
  if (number == kEmpty) return std::nullopt;
  return StateOf(slots_[number - 1]);
}

size_t SourceRecords::CellOf(std::string_view key, size_t hash) const {
  const size_t mask = table_.size() - 1;
  const auto tag = static_cast<uint32_t>(hash);
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Cell cell = table_[i];
    if (SlotNumberIn(cell) == kEmpty) return i;
    if (static_cast<uint32_t>(cell >> 32) == tag &&
        SlotHasKey(slots_[SlotNumberIn(cell) - 1], key)) {
      return i;
    }
  }
}

void SourceRecords::Upsert(std::string_view key, std::string_view fields, SystemTime changed_at) {
  if (key.size() > UINT32_MAX || fields.size() > UINT32_MAX || slots_.size() >= UINT32_MAX - 1) {
    throw std::length_error("source record too large to keep");
  }
  // At most half full, so that probes stay short.
  if ((live_ + 1) * 2 > table_.size()) Rebuild(false);
  const size_t hash = HashOf(key);
  const size_t at = CellOf(key, hash);
  Slot slot;
  slot.offset = text_.size();
  slot.key_size = static_cast<uint32_t>(key.size());
  slot.fields_size = static_cast<uint32_t>(fields.size());
  slot.changed_ms = ToUnixMillis(changed_at);
  slot.fields_hash = merge::FieldsTextHash(fields);
  slot.hash_tag = static_cast<uint32_t>(hash);
  slot.live = true;
  std::copy_n(key.data(), std::min(key.size(), kKeyStart), slot.key_start.data());
  // What can throw (the appends) comes first: a failure leaves the records as they were, with
  // at most some unused bytes at the end of text_.
  text_.append(key);
  text_.append(fields);
  slots_.push_back(slot);
  if (const uint32_t number = SlotNumberIn(table_[at]); number != kEmpty) {
    Slot& old = slots_[number - 1];
    old.live = false;
    garbage_bytes_ += size_t{old.key_size} + old.fields_size;
    --live_;
  }
  table_[at] = MakeCell(slot.hash_tag, static_cast<uint32_t>(slots_.size()));
  ++live_;
}

void SourceRecords::Erase(std::string_view key) {
  if (table_.empty()) return;
  size_t hole = CellOf(key);
  const uint32_t number = SlotNumberIn(table_[hole]);
  if (number == kEmpty) return;
  Slot& slot = slots_[number - 1];
  slot.live = false;
  garbage_bytes_ += size_t{slot.key_size} + slot.fields_size;
  --live_;
  table_[hole] = MakeCell(0, kEmpty);
  // Linear probing without tombstones: cells after the hole that could have sat in it move
  // back, so that no probe stops early at the hole.
  const size_t mask = table_.size() - 1;
  for (size_t i = (hole + 1) & mask; SlotNumberIn(table_[i]) != kEmpty; i = (i + 1) & mask) {
    const size_t home = static_cast<size_t>(table_[i] >> 32) & mask;
    // Whether `home` lies cyclically in (hole, i]: then the cell is where it may stay.
    const bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
    if (stays) continue;
    table_[hole] = table_[i];
    table_[i] = MakeCell(0, kEmpty);
    hole = i;
  }
}

void SourceRecords::Rebuild(bool pack, const std::vector<uint32_t>* order) {
  size_t size = 16;
  while (size < (live_ + 1) * 2) size *= 2;
  // Growing by doubling: a table rebuilt to add a record has room for as many again.
  if (!pack) size *= 2;
  // Checked before anything moves: a failure leaves the records as they were.
  if (size > (size_t{1} << 32)) throw std::length_error("too many source records to keep");
  if (pack) {
    Text text;
    text.reserve(text_.size() - garbage_bytes_);
    Slots slots;
    slots.reserve(live_);
    std::vector<bool> placed(order != nullptr ? slots_.size() : 0);
    auto place = [&](const Slot& slot) {
      Slot moved = slot;
      moved.offset = text.size();
      text.append(text_, slot.offset, size_t{slot.key_size} + slot.fields_size);
      slots.push_back(moved);
    };
    if (order != nullptr) {
      for (const uint32_t s : *order) {
        if (s >= slots_.size() || !slots_[s].live || placed[s]) continue;
        placed[s] = true;
        place(slots_[s]);
      }
    }
    for (size_t s = 0; s < slots_.size(); ++s) {
      if (slots_[s].live && (order == nullptr || !placed[s])) place(slots_[s]);
    }
    text_ = std::move(text);
    slots_ = std::move(slots);
    garbage_bytes_ = 0;
  }
  // A new vector, not assign(): that would keep the capacity of a larger table before.
  Cells(size, MakeCell(0, kEmpty)).swap(table_);
  const size_t mask = size - 1;
  for (size_t s = 0; s < slots_.size(); ++s) {
    if (!slots_[s].live) continue;
    size_t i = slots_[s].hash_tag & mask;
    while (SlotNumberIn(table_[i]) != kEmpty) i = (i + 1) & mask;
    table_[i] = MakeCell(slots_[s].hash_tag, static_cast<uint32_t>(s + 1));
  }
}

}  // namespace tributary::service
