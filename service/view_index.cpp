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
  } else {
    keyless_[source_index].erase(source_key);
  }
  auto& of = view_key_of_[source_index];
  auto old = of.find(source_key);
  if (old != of.end()) {
    if (view_key && *view_key == old->second) {
      if (touched != nullptr) touched->insert(old->second);  // same key, new content
      return;
    }
    if (touched != nullptr) touched->insert(old->second);
    auto entry = entries_.find(old->second);
    if (entry != entries_.end()) {
      auto& list = entry->second.members[source_index];
      list.erase(std::remove(list.begin(), list.end(), source_key), list.end());
      bool empty = true;
      for (const auto& m : entry->second.members) empty = empty && m.empty();
      if (empty) entries_.erase(entry);
    }
    of.erase(old);
  }
  if (!view_key) return;
  if (touched != nullptr) touched->insert(*view_key);
  of[source_key] = *view_key;
  auto& entry = entries_[*view_key];
  if (entry.members.empty()) entry.members.resize(view_.sources.size());
  auto& list = entry.members[source_index];
  list.insert(std::upper_bound(list.begin(), list.end(), source_key), source_key);
}

void ViewIndex::Build(const std::vector<const SourceRecords*>& sources) {
  for (size_t i = 0; i < sources.size() && i < view_.sources.size(); ++i) {
    if (sources[i] == nullptr) continue;
    entries_.reserve(entries_.size() + sources[i]->size());
    view_key_of_[i].reserve(sources[i]->size());
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
  for (const auto& [source_key, view_key] : view_key_of_[source_index]) {
    const Entry* entry = Find(view_key);
    if (entry == nullptr) continue;
    for (size_t i = 0; i < entry->members.size(); ++i) {
      if (i != source_index && !entry->members[i].empty()) {
        out.insert(view_key);
        break;
      }
    }
  }
}

const ViewIndex::Entry* ViewIndex::Find(const std::string& view_key) const {
  auto it = entries_.find(view_key);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<std::string> ViewIndex::Keys() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& [key, entry] : entries_) out.push_back(key);
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
