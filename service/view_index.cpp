#include "service/view_index.hpp"

#include <algorithm>

namespace tributary::service {

ViewIndex::ViewIndex(const config::ViewConfig& view)
    : view_(view),
      definition_(CanonicalJson(view.definition)),
      keys_(view),
      view_key_of_(view.sources.size()),
      keyless_(view.sources.size()) {}

std::optional<size_t> ViewIndex::SourceIndex(const std::string& source_id) const {
  for (size_t i = 0; i < view_.sources.size(); ++i) {
    if (view_.sources[i].id == source_id) return i;
  }
  return std::nullopt;
}

void ViewIndex::Set(size_t source_index, const std::string& source_key,
                    const nlohmann::json* fields, std::set<std::string>& touched) {
  std::optional<std::string> view_key;
  if (fields != nullptr && fields->is_object()) view_key = keys_.KeyOf(source_index, *fields);
  SetKey(source_index, source_key, fields != nullptr, std::move(view_key), &touched);
}

void ViewIndex::SetKey(size_t source_index, const std::string& source_key, bool present,
                       std::optional<std::string> view_key, std::set<std::string>* touched) {
  if (present && !view_key) {
    keyless_[source_index].insert(source_key);
  } else if (!keyless_[source_index].empty()) {
    keyless_[source_index].erase(source_key);
  }
  auto& of = view_key_of_[source_index];
  if (const EntryId* old = of.Find(source_key)) {
    const EntryId old_id = *old;
    const std::string& old_key = entries_.KeyOf(old_id);
    if (touched != nullptr) touched->insert(old_key);
    if (view_key && *view_key == old_key) return;  // same key, new content
    auto& members = entries_.ValueOf(old_id).members;
    auto& list = members[source_index];
    list.erase(std::remove(list.begin(), list.end(), source_key), list.end());
    bool empty = true;
    for (const auto& m : members) empty = empty && m.empty();
    if (empty) entries_.Erase(std::string(old_key));
    of.Erase(source_key);
  }
  if (!view_key) return;
  if (touched != nullptr) touched->insert(*view_key);
  const EntryId id = entries_.Emplace(*view_key).first;
  of.ValueOf(of.Emplace(source_key).first) = id;
  auto& members = entries_.ValueOf(id).members;
  if (members.empty()) members.resize(view_.sources.size());
  auto& list = members[source_index];
  list.insert(std::upper_bound(list.begin(), list.end(), source_key), source_key);
}

void ViewIndex::Build(const std::vector<const SourceRecords*>& sources) {
  // One reservation for every record: growing the key table source after source would
  // rehash it each time.
  size_t records = entries_.size();
  for (const SourceRecords* s : sources) records += s != nullptr ? s->size() : 0;
  entries_.reserve(records);
  for (size_t i = 0; i < sources.size() && i < view_.sources.size(); ++i) {
    if (sources[i] == nullptr) continue;
    view_key_of_[i].reserve(view_key_of_[i].size() + sources[i]->size());
    sources[i]->ForEach([&](std::string_view key, std::string_view fields) {
      SetKey(i, std::string(key), true, keys_.KeyOfText(i, fields), nullptr);
    });
  }
}

size_t ViewIndex::records_without_key() const {
  size_t n = 0;
  for (const auto& k : keyless_) n += k.size();
  return n;
}

void ViewIndex::SharedKeys(size_t source_index, std::set<std::string>& out) const {
  view_key_of_[source_index].ForEach([&](const std::string&, EntryId id) {
    const auto& members = entries_.ValueOf(id).members;
    for (size_t i = 0; i < members.size(); ++i) {
      if (i != source_index && !members[i].empty()) {
        out.insert(entries_.KeyOf(id));
        break;
      }
    }
  });
}

const ViewIndex::Entry* ViewIndex::Find(const std::string& view_key) const {
  return entries_.Find(view_key);
}

std::vector<std::string> ViewIndex::Keys() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  entries_.ForEach([&](const std::string& key, const Entry&) { out.push_back(key); });
  return out;
}

storage::ViewKey ViewIndex::KeyInfo(const std::string& view_key) const {
  return KeyInfo(view_key, Find(view_key));
}

storage::ViewKey ViewIndex::KeyInfo(const std::string& view_key, const Entry* entry) const {
  storage::ViewKey out;
  out.key = view_key;
  if (entry == nullptr) return out;
  for (size_t i = 0; i < entry->members.size(); ++i) {
    const auto& list = entry->members[i];
    if (list.empty()) continue;
    out.sources.push_back(view_.sources[i].id);
    if (list.size() > 1) out.duplicates[view_.sources[i].id] = list;
  }
  return out;
}

}  // namespace tributary::service
