#include "service/source_records.hpp"

#include <algorithm>
#include <unordered_set>

#include "merge/combine/record_diff.hpp"

namespace tributary::service {

namespace {

nlohmann::json FieldDiffJson(const nlohmann::json& before, const nlohmann::json& after) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& f : merge::combine::DiffFields(before, after)) {
    out[f.field] = {{"before", f.before}, {"after", f.after}};
  }
  return out;
}

}  // namespace

void SourceRecords::Load(std::vector<storage::StoredRecord> records, SystemTime fetched_at) {
  fetched_at_ = fetched_at;
  records_.clear();
  records_.reserve(records.size());
  for (auto& r : records) {
    records_[r.key] = SourceRecordState{CanonicalJson(r.fields), r.changed_at};
  }
}

SourceRecords::Diff SourceRecords::Compare(const merge::SourceSnapshot& snapshot) const {
  Diff diff;
  auto& u = diff.update;
  u.source_id = snapshot.source_id;
  u.fetched_at = snapshot.fetched_at;
  std::unordered_set<std::string_view> seen;
  seen.reserve(snapshot.records.size());
  std::string text;
  JsonTextWriter writer(text);
  size_t kept = 0;  // stored keys the snapshot still has
  for (const auto& r : snapshot.records) {
    if (!seen.insert(r.key).second) continue;
    text.clear();
    writer.Value(r.fields);
    auto it = records_.find(r.key);
    if (it != records_.end()) ++kept;
    if (it != records_.end() && it->second.fields == text) continue;
    storage::Change c;
    c.source_id = snapshot.source_id;
    c.key = r.key;
    if (it == records_.end()) {
      c.op = "added";
      c.after = r.fields;
      c.fields = FieldDiffJson(nullptr, r.fields);
    } else {
      c.op = "changed";
      c.before = nlohmann::json::parse(it->second.fields, nullptr, false);
      c.after = r.fields;
      c.fields = FieldDiffJson(c.before, r.fields);
    }
    u.changes.push_back(std::move(c));
    u.upserts.push_back(storage::StoredRecord{r.key, r.fields, snapshot.fetched_at});
    diff.touched.push_back(r.key);
    diff.new_fields[r.key] = &r.fields;
  }
  // Every stored key seen again (the usual case): nothing was removed, no need to look.
  for (auto it = kept < records_.size() ? records_.begin() : records_.end(); it != records_.end();
       ++it) {
    const auto& [key, state] = *it;
    if (seen.count(key)) continue;
    storage::Change c;
    c.source_id = snapshot.source_id;
    c.key = key;
    c.op = "removed";
    c.before = nlohmann::json::parse(state.fields, nullptr, false);
    c.fields = FieldDiffJson(c.before, nullptr);
    u.changes.push_back(std::move(c));
    u.removed.push_back(key);
    diff.touched.push_back(key);
  }
  std::sort(u.changes.begin(), u.changes.end(),
            [](const storage::Change& a, const storage::Change& b) { return a.key < b.key; });
  u.record_count = seen.size();
  return diff;
}

SourceRecords::Diff SourceRecords::Confirm(const std::string& source_id,
                                           SystemTime fetched_at) const {
  Diff diff;
  diff.update.source_id = source_id;
  diff.update.fetched_at = fetched_at;
  diff.update.record_count = records_.size();
  return diff;
}

void SourceRecords::Apply(const Diff& diff) {
  fetched_at_ = diff.update.fetched_at;
  for (const auto& key : diff.update.removed) records_.erase(key);
  for (const auto& r : diff.update.upserts) {
    records_[r.key] = SourceRecordState{CanonicalJson(r.fields), r.changed_at};
  }
}

const SourceRecordState* SourceRecords::Find(const std::string& key) const {
  auto it = records_.find(key);
  return it == records_.end() ? nullptr : &it->second;
}

}  // namespace tributary::service
