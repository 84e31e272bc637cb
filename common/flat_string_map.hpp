#pragma once
// A hash map from strings to values for millions of entries: the entries live in one vector
// (a freed place is reused), and an open-addressing table of (hash, place) cells finds them.
// A lookup reads one table cell and the entry it names; std::unordered_map reads a bucket, the
// node before the first of the bucket, then the node, and divides by a prime to find the
// bucket. The view index holds two of these per view (bench/README.md, merge, has the figures).
// An entry's place (its id) stays the same from insertion to erasure, so callers can keep ids
// instead of keys; pointers and references to values are invalidated by an insertion.
// Iteration is in place order: insertion order until places are reused.
// Thread safety: none.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/large_allocator.hpp"
#include "common/text_equal.hpp"

namespace tributary {

template <class Value>
class FlatStringMap {
 public:
  using Id = uint32_t;
  static constexpr Id kNone = UINT32_MAX;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Room for `n` entries without growing the table.
  void reserve(size_t n) {
    entries_.reserve(n);
    if (TableSizeFor(n) > table_.size()) Rehash(TableSizeFor(n));
  }

  // The hash of a key, for the calls below that take it: a loop over many keys can hash a
  // key a few steps ahead and Prefetch its table cell, so that the cache misses of several
  // lookups overlap instead of following one another (tables of millions of keys miss the
  // cache, and the TLB, at nearly every lookup).
  static size_t HashOf(std::string_view key) { return std::hash<std::string_view>{}(key); }
  void Prefetch(size_t hash) const {
    if (!table_.empty()) __builtin_prefetch(&table_[hash & (table_.size() - 1)]);
  }

  Id FindId(std::string_view key) const { return FindId(key, HashOf(key)); }
  Id FindId(std::string_view key, size_t hash) const {
    if (table_.empty()) return kNone;
    const uint64_t cell = table_[CellOf(key, hash)];
    return cell == kEmptyCell ? kNone : PlaceOf(cell);
  }
  const Value* Find(std::string_view key) const {
    const Id id = FindId(key);
    return id == kNone ? nullptr : &entries_[id].value;
  }
  Value* Find(std::string_view key) {
    const Id id = FindId(key);
    return id == kNone ? nullptr : &entries_[id].value;
  }

  // The entry of `key`, inserted with a default value when missing; second: whether inserted.
  std::pair<Id, bool> Emplace(std::string_view key) { return Emplace(key, HashOf(key)); }
  std::pair<Id, bool> Emplace(std::string_view key, size_t hash) {
    if ((size_ + 1) * 2 > table_.size()) Rehash(std::max<size_t>(16, table_.size() * 2));
    const size_t at = CellOf(key, hash);
    if (table_[at] != kEmptyCell) return {PlaceOf(table_[at]), false};
    Id id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
      entries_[id].key.assign(key);
      entries_[id].hash_bits = static_cast<uint32_t>(hash);
      entries_[id].live = true;
    } else {
      if (entries_.size() >= kNone - 1) throw std::length_error("FlatStringMap: too many entries");
      id = static_cast<Id>(entries_.size());
      entries_.push_back(Entry{std::string(key), Value(), static_cast<uint32_t>(hash), true});
    }
    table_[at] = MakeCell(hash, id);
    ++size_;
    return {id, true};
  }

  // The value of `key`, inserted (default) when missing.
  Value& operator[](std::string_view key) { return ValueOf(Emplace(key).first); }

  // Removes `key`'s entry; false when there is none.
  bool Erase(std::string_view key) { return Erase(key, HashOf(key)); }
  bool Erase(std::string_view key, size_t hash) {
    if (table_.empty()) return false;
    size_t hole = CellOf(key, hash);
    if (table_[hole] == kEmptyCell) return false;
    const Id id = PlaceOf(table_[hole]);
    Entry& entry = entries_[id];
    entry.live = false;
    std::string().swap(entry.key);
    entry.value = Value();
    free_.push_back(id);
    --size_;
    table_[hole] = kEmptyCell;
    // Linear probing without tombstones: cells after the hole that could have sat in it move
    // back, so that no probe stops early at the hole.
    const size_t mask = table_.size() - 1;
    for (size_t i = (hole + 1) & mask; table_[i] != kEmptyCell; i = (i + 1) & mask) {
      const size_t home = HomeOf(table_[i]);
      // Whether `home` lies cyclically in (hole, i]: then the cell is where it may stay.
      const bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
      if (stays) continue;
      table_[hole] = table_[i];
      table_[i] = kEmptyCell;
      hole = i;
    }
    return true;
  }

  // Every id in use is below id_end(); Live(id) says whether `id` is in use. A walk by id can
  // stop and resume where it was, as long as nothing is inserted or erased meanwhile.
  Id id_end() const { return static_cast<Id>(entries_.size()); }
  bool Live(Id id) const { return entries_[id].live; }
  const std::string& KeyOf(Id id) const { return entries_[id].key; }
  // The low 32 bits of KeyOf(id)'s hash, kept from its insertion. They are all that a lookup
  // uses (cells hold them, homes are taken from them), so they stand for HashOf(KeyOf(id)) in
  // any call that takes a hash, in this map or another keyed by the same strings.
  size_t HashBitsOf(Id id) const { return entries_[id].hash_bits; }
  Value& ValueOf(Id id) { return entries_[id].value; }
  const Value& ValueOf(Id id) const { return entries_[id].value; }

  // fn(key, value) for each entry, in place order.
  template <class Fn>
  void ForEach(Fn&& fn) const {
    for (const Entry& e : entries_) {
      if (e.live) fn(e.key, e.value);
    }
  }

 private:
  struct Entry {
    std::string key;
    Value value;
    uint32_t hash_bits = 0;  // HashBitsOf
    bool live = false;
  };
  // A cell: the place + 1 in the low half (0: empty), the key hash's low 32 bits in the high
  // half. The table never has more than 2^32 cells, so a cell's home is its hash bits & mask,
  // and growing the table never hashes a key again.
  static constexpr uint64_t kEmptyCell = 0;
  static uint64_t MakeCell(size_t hash, Id id) {
    return (uint64_t{static_cast<uint32_t>(hash)} << 32) | (uint64_t{id} + 1);
  }
  static Id PlaceOf(uint64_t cell) { return static_cast<Id>((cell & 0xffffffffu) - 1); }
  size_t HomeOf(uint64_t cell) const {
    return static_cast<size_t>(cell >> 32) & (table_.size() - 1);
  }
  static size_t TableSizeFor(size_t n) {
    size_t size = 16;
    while (size < (n + 1) * 2) size *= 2;
    return size;
  }

  // The cell holding `key`, or the empty cell where it would go.
  size_t CellOf(std::string_view key, size_t hash) const {
    const size_t mask = table_.size() - 1;
    const uint32_t tag = static_cast<uint32_t>(hash);
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const uint64_t cell = table_[i];
      if (cell == kEmptyCell) return i;
      if (static_cast<uint32_t>(cell >> 32) == tag && TextEqual(entries_[PlaceOf(cell)].key, key)) {
        return i;
      }
    }
  }

  void Rehash(size_t size) {
    if (size > (size_t{1} << 32)) throw std::length_error("FlatStringMap: table too large");
    Cells old(size, kEmptyCell);
    old.swap(table_);
    const size_t mask = size - 1;
    for (const uint64_t cell : old) {
      if (cell == kEmptyCell) continue;
      size_t i = static_cast<size_t>(cell >> 32) & mask;
      while (table_[i] != kEmptyCell) i = (i + 1) & mask;
      table_[i] = cell;
    }
  }

  // The two arrays that grow with the entries take huge pages once large (LargeAllocator).
  using Cells = std::vector<uint64_t, LargeAllocator<uint64_t>>;
  std::vector<Entry, LargeAllocator<Entry>> entries_;
  std::vector<Id> free_;
  Cells table_;  // size a power of two (or empty), at most half full
  size_t size_ = 0;
};

}  // namespace tributary
