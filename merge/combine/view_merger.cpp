#include "merge/combine/view_merger.hpp"

#include <map>
#include <set>

namespace tributary::merge::combine {
namespace {

// The view's fields as this source provides them: renamed fields first (view <- source), then
// the source's other fields under their own names unless a rename already claims that name.
nlohmann::json RenameFields(const config::ViewSourceRef& ref, const nlohmann::json& fields) {
  nlohmann::json out = nlohmann::json::object();
  std::set<std::string> consumed;
  for (const auto& [view_field, source_field] : ref.fields) {
    if (auto it = fields.find(source_field); it != fields.end()) out[view_field] = *it;
    consumed.insert(source_field);
  }
  for (const auto& [name, value] : fields.items()) {
    if (consumed.count(name) || out.contains(name)) continue;
    out[name] = value;
  }
  return out;
}

bool HasValue(const nlohmann::json& v) {
  if (v.is_null()) return false;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  if (v.is_array()) return !v.empty();
  return true;
}

}  // namespace

std::vector<MergedRecord> MergeView(const config::ViewConfig& view,
                                    const std::vector<SourceSnapshot>& snapshots,
                                    MergeStats* stats) {
  MergeStats local;
  std::map<std::string, MergedRecord> merged;
  for (const auto& ref : view.sources) {
    const SourceSnapshot* snapshot = nullptr;
    for (const auto& s : snapshots) {
      if (s.source_id == ref.id) snapshot = &s;
    }
    if (snapshot == nullptr) continue;
    std::set<std::string> seen;
    for (const auto& record : snapshot->records) {
      const nlohmann::json fields = RenameFields(ref, record.fields);
      std::vector<const nlohmann::json*> key_values;
      for (const auto& k : view.key) {
        auto it = fields.find(k);
        key_values.push_back(it == fields.end() ? nullptr : &*it);
      }
      std::string key;
      if (!MakeKey(key_values, key)) {
        ++local.records_without_key;
        continue;
      }
      if (!seen.insert(key).second) {
        ++local.duplicate_keys;
        continue;
      }
      MergedRecord& out = merged[key];
      out.key = key;
      out.sources.push_back(ref.id);
      for (const auto& [name, value] : fields.items()) {
        if (!HasValue(value)) continue;
        if (out.fields.contains(name)) continue;  // a source earlier in priority order won
        out.fields[name] = value;
        out.provenance[name] = FieldProvenance{ref.id, snapshot->fetched_at};
      }
    }
  }
  std::vector<MergedRecord> result;
  result.reserve(merged.size());
  for (auto& [key, record] : merged) result.push_back(std::move(record));
  if (stats) *stats = local;
  return result;
}

}  // namespace tributary::merge::combine
