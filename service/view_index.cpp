#include "service/view_index.hpp"

#include <algorithm>

#include "merge/combine/merge_job.hpp"

namespace tributary::service {

namespace {

// Calls fn(source index, source, member) for each record of the entry that a merge takes:
// each source's first (the others are duplicates), of a source the view has records of.
template <class Fn>
void ForEachMerged(const ViewIndex::Entry& entry, const std::vector<const SourceRecords*>& sources,
                   Fn&& fn) {
  const auto& members = entry.members;
  for (size_t m = 0; m < members.size(); ++m) {
    const size_t i = members[m].source;
    if (m > 0 && members[m - 1].source == i) continue;
    if (i >= sources.size() || sources[i] == nullptr) continue;
    fn(i, *sources[i], members[m]);
  }
}

}  // namespace

ViewIndex::ViewIndex(const config::ViewConfig& view)
    : view_(view),
      definition_(CanonicalJson(view.definition)),
      keys_(view),
      keyless_(view.sources.size()) {}

std::optional<size_t> ViewIndex::SourceIndex(const std::string& source_id) const {
  for (size_t i = 0; i < view_.sources.size(); ++i) {
    if (view_.sources[i].id == source_id) return i;
  }
  return std::nullopt;
}

ViewIndex::KeyMove ViewIndex::KeysOf(size_t source_index, const storage::ChangeText& change) const {
  KeyMove keys;
  if (change.op != "added") keys.before = keys_.KeyOfText(source_index, change.before);
  if (change.op != "removed") keys.after = keys_.KeyOfText(source_index, change.after);
  return keys;
}

std::vector<ViewIndex::KeyMove> ViewIndex::KeysOf(size_t source_index,
                                                  const std::vector<storage::ChangeText>& changes,
                                                  std::set<std::string>& touched) const {
  std::vector<KeyMove> moves;
  moves.reserve(changes.size());
  // Changes come sorted by source key, and view keys mostly follow (a source's key field is
  // the view's): inserted at the end first, each is one comparison rather than a descent.
  for (const storage::ChangeText& change : changes) {
    KeyMove& keys = moves.emplace_back(KeysOf(source_index, change));
    if (keys.before) touched.emplace_hint(touched.end(), *keys.before);
    if (keys.after && keys.after != keys.before) touched.emplace_hint(touched.end(), *keys.after);
  }
  return moves;
}

void ViewIndex::Set(size_t source_index, const storage::ChangeText& change, KeyMove keys) {
  const size_t view_hash = keys.after ? FlatStringMap<Entry>::HashOf(*keys.after) : 0;
  SetKey(source_index, change.key, change.op != "removed", keys.before, std::move(keys.after),
         view_hash, SourceRecords::kNoHint);
}

void ViewIndex::SetKey(size_t source_index, std::string_view source_key, bool present,
                       const std::optional<std::string>& old_view_key,
                       std::optional<std::string> view_key, size_t view_hash,
                       SourceRecords::Hint hint) {
  if (present && !view_key) {
    keyless_[source_index].insert(std::string(source_key));
  } else if (!keyless_[source_index].empty()) {
    keyless_[source_index].erase(std::string(source_key));
  }
  const auto source = static_cast<uint32_t>(source_index);
  if (old_view_key) {
    if (view_key && *view_key == *old_view_key) return;  // same key, new content
    const EntryId old_id = entries_.FindId(*old_view_key);
    if (old_id != FlatStringMap<Entry>::kNone) {
      auto& members = entries_.ValueOf(old_id).members;
      members.erase(std::remove_if(
                        members.begin(), members.end(),
                        [&](const Member& m) { return m.source == source && m.key == source_key; }),
                    members.end());
      if (members.empty()) entries_.Erase(*old_view_key);
    }
  }
  if (!view_key) return;
  const EntryId id = entries_.Emplace(*view_key, view_hash).first;
  auto& members = entries_.ValueOf(id).members;
  const auto at = std::upper_bound(members.begin(), members.end(), source_key,
                                   [&](std::string_view key, const Member& m) {
                                     return source != m.source ? source < m.source : key < m.key;
                                   });
  // Already there (a record set twice as added): kept once.
  if (at != members.begin() && (at - 1)->source == source && (at - 1)->key == source_key) return;
  members.insert(at, Member{source, hint, std::string(source_key)});
}

void ViewIndex::Build(const std::vector<const SourceRecords*>& sources) {
  // One reservation for every record: growing the key table source after source would
  // rehash it each time.
  size_t records = entries_.size();
  for (const SourceRecords* s : sources) records += s != nullptr ? s->size() : 0;
  entries_.reserve(records);
  // Records are placed in batches: each record's table cell is prefetched when its key is
  // computed and read when the batch is placed, so that the cache misses of a batch overlap.
  constexpr size_t kBatch = 16;
  struct Pending {
    std::string_view source_key;  // in the source's records, which do not change meanwhile
    std::optional<std::string> view_key;
    size_t view_hash = 0;
    SourceRecords::Hint hint = SourceRecords::kNoHint;
  };
  std::vector<Pending> batch;
  batch.reserve(kBatch);
  for (size_t i = 0; i < sources.size() && i < view_.sources.size(); ++i) {
    if (sources[i] == nullptr) continue;
    auto place = [&] {
      for (Pending& p : batch) {
        SetKey(i, p.source_key, true, std::nullopt, std::move(p.view_key), p.view_hash, p.hint);
      }
      batch.clear();
    };
    sources[i]->ForEachHinted(
        [&](SourceRecords::Hint hint, std::string_view key, std::string_view fields) {
          Pending& p = batch.emplace_back();
          p.source_key = key;
          p.hint = hint;
          p.view_key = keys_.KeyOfText(i, fields);
          if (p.view_key) {
            p.view_hash = FlatStringMap<Entry>::HashOf(*p.view_key);
            entries_.Prefetch(p.view_hash);
          }
          if (batch.size() == kBatch) place();
        });
    place();
  }
}

ViewIndex::EntryId ViewIndex::AppendEntries(
    std::string& body, EntryId next, size_t max_bytes, size_t max_keys,
    const std::vector<const SourceRecords*>& sources,
    const std::function<void(std::string_view, const Entry&)>& each) const {
  // In batches: the records (and stored merged records) of a batch's entries are prefetched
  // before any is read, so that their cache misses overlap (see Build).
  constexpr size_t kBatch = 16;
  EntryId batch[kBatch];
  size_t merged_hashes[kBatch];
  const EntryId end = entry_id_end();
  size_t keys = 0;
  while (next < end && keys < max_keys && body.size() < max_bytes) {
    size_t n = 0;
    const Entry* batch_entries[kBatch];
    for (; next < end && n < kBatch && keys + n < max_keys; ++next) {
      if (!entries_.Live(next)) continue;
      if (!merged_.empty()) {
        merged_hashes[n] = entries_.HashBitsOf(next);
        merged_.Prefetch(merged_hashes[n]);
      }
      batch_entries[n] = &entries_.ValueOf(next);
      batch[n++] = next;
    }
    PrefetchRecords(batch_entries, n, sources);
    for (size_t b = 0; b < n; ++b) {
      if (body.size() >= max_bytes) return batch[b];  // full: the rest for the next body
      const Entry& entry = *batch_entries[b];
      each(KeyAt(batch[b]), entry);
      AppendItem(body, KeyAt(batch[b]), &entry, sources,
                 merged_.empty() ? nullptr : &merged_hashes[b], std::nullopt);
    }
    keys += n;
  }
  return next;
}

void ViewIndex::PrefetchRecords(const Entry* const* entries, size_t n,
                                const std::vector<const SourceRecords*>& sources) const {
  auto each_record = [&](auto&& fn) {
    for (size_t b = 0; b < n; ++b) {
      if (entries[b] != nullptr) ForEachMerged(*entries[b], sources, fn);
    }
  };
  each_record([](size_t, const SourceRecords& s, const Member& m) { s.PrefetchSlot(m.hint); });
  each_record([](size_t, const SourceRecords& s, const Member& m) { s.PrefetchText(m.hint); });
}

void ViewIndex::AppendRecordsOf(const std::set<std::string>& keys,
                                const std::vector<const SourceRecords*>& sources, std::string& out,
                                std::vector<size_t>& at) const {
  // In batches, as AppendEntries: the keys' table cells, then their entries, then the records'
  // slots and texts are prefetched a batch at a time (an update's keys are anywhere in tables
  // of millions). A record changed since the index was built has a stale hint: looked up.
  constexpr size_t kBatch = 16;
  const std::string* batch_keys[kBatch];
  size_t hashes[kBatch];
  const Entry* batch_entries[kBatch];
  merge::combine::MergeItemRecords records;
  for (auto it = keys.begin(); it != keys.end();) {
    size_t n = 0;
    for (; it != keys.end() && n < kBatch; ++it, ++n) {
      batch_keys[n] = &*it;
      hashes[n] = FlatStringMap<Entry>::HashOf(*it);
      entries_.Prefetch(hashes[n]);
    }
    for (size_t b = 0; b < n; ++b) {
      const EntryId id = entries_.FindId(*batch_keys[b], hashes[b]);
      batch_entries[b] = id == FlatStringMap<Entry>::kNone ? nullptr : &entries_.ValueOf(id);
    }
    PrefetchRecords(batch_entries, n, sources);
    for (size_t b = 0; b < n; ++b) {
      at.push_back(out.size());
      records.clear();
      if (batch_entries[b] != nullptr) CollectRecords(*batch_entries[b], sources, records);
      merge::combine::AppendMergeRecords(out, records);
    }
  }
  at.push_back(out.size());
}

size_t ViewIndex::records_without_key() const {
  size_t n = 0;
  for (const auto& k : keyless_) n += k.size();
  return n;
}

void ViewIndex::SharedKeys(size_t source_index, const SourceRecords& records,
                           std::set<std::string>& out) const {
  auto shared = [&](const Entry& entry) {
    bool ours = false, others = false;
    for (const Member& m : entry.members) (m.source == source_index ? ours : others) = true;
    return ours && others;
  };
  // A lookup per record (a key computed from its text, a random read) costs several times
  // an entry read in order.
  constexpr size_t kLookupCost = 8;
  if (records.size() * kLookupCost < entries_.size()) {
    records.ForEach([&](std::string_view, std::string_view fields) {
      const auto view_key = keys_.KeyOfText(source_index, fields);
      if (!view_key) return;
      if (const Entry* entry = entries_.Find(*view_key); entry != nullptr && shared(*entry)) {
        out.insert(*view_key);
      }
    });
    return;
  }
  entries_.ForEach([&](const std::string& key, const Entry& entry) {
    if (shared(entry)) out.insert(key);
  });
}

const ViewIndex::Entry* ViewIndex::Find(std::string_view view_key) const {
  return entries_.Find(view_key);
}

bool ViewIndex::AppendMergeItem(std::string& body, std::string_view view_key, const Entry* entry,
                                const std::vector<const SourceRecords*>& sources,
                                std::optional<std::string_view> old_records) const {
  return AppendItem(body, view_key, entry, sources, nullptr, old_records);
}

void ViewIndex::CollectRecords(const Entry& entry, const std::vector<const SourceRecords*>& sources,
                               merge::combine::MergeItemRecords& out) {
  ForEachMerged(entry, sources, [&](size_t i, const SourceRecords& source, const Member& member) {
    if (const auto state = source.FindHinted(member.key, member.hint)) {
      out.push_back({i, ToUnixMillis(source.fetched_at()), state->fields});
    }
  });
}

bool ViewIndex::AppendItem(std::string& body, std::string_view view_key, const Entry* entry,
                           const std::vector<const SourceRecords*>& sources,
                           const size_t* merged_hash,
                           std::optional<std::string_view> old_records) const {
  merge::combine::MergeItem item;
  item.key = view_key;
  item.old_records = old_records;
  // (A view's first merge has nothing stored: no lookup per key.)
  if (!old_records && !merged_.empty()) {
    const auto id =
        merged_hash != nullptr ? merged_.FindId(view_key, *merged_hash) : merged_.FindId(view_key);
    if (id != FlatStringMap<std::string>::kNone) item.before = &merged_.ValueOf(id);
  }
  if (entry != nullptr) CollectRecords(*entry, sources, item.records);
  if (item.before == nullptr && item.records.empty() && !old_records) return false;
  merge::combine::AppendMergeItem(body, item);
  return true;
}

std::vector<std::string> ViewIndex::Keys() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  entries_.ForEach([&](const std::string& key, const Entry&) { out.push_back(key); });
  return out;
}

storage::ViewKey ViewIndex::KeyInfo(std::string_view view_key) const {
  return KeyInfo(view_key, Find(view_key));
}

storage::ViewKey ViewIndex::KeyInfo(std::string_view view_key, const Entry* entry) const {
  storage::ViewKey out;
  out.key = view_key;
  if (entry == nullptr) return out;
  const auto& members = entry->members;
  for (size_t m = 0; m < members.size(); ++m) {
    const std::string& source_id = view_.sources[members[m].source].id;
    if (m == 0 || members[m - 1].source != members[m].source) {
      out.sources.push_back(source_id);
    } else {
      auto& list = out.duplicates[source_id];
      if (list.empty()) list.push_back(members[m - 1].key);
      list.push_back(members[m].key);
    }
  }
  return out;
}

}  // namespace tributary::service
