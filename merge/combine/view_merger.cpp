#include "merge/combine/view_merger.hpp"

#include <algorithm>
#include <unordered_map>

#include "merge/combine/field_strategy.hpp"

namespace tributary::merge::combine {

ViewMerger::ViewMerger(const config::ViewConfig& view)
    : view_(view), keys_(view), key_fields_(view.key.begin(), view.key.end()) {}

const config::FieldRule& ViewMerger::RuleFor(std::string_view field) const {
  if (auto it = view_.field_rules.find(field); it != view_.field_rules.end()) return it->second;
  return view_.defaults;
}

std::optional<MergedRecord> ViewMerger::Merge(const std::string& key,
                                              std::vector<SourceRecordRef> records) const {
  if (!OrderForMerge(view_, records, [](const SourceRecordRef& r) {
        return r.fields == nullptr || !r.fields->is_object();
      })) {
    return std::nullopt;
  }

  // Every (view field, candidate) pair, then grouped by field name: a flat vector, not a map
  // of vectors (a full merge does this for millions of keys). The sort is stable, so each
  // field's candidates stay in priority order.
  struct NamedCandidate {
    const std::string* field;
    Candidate candidate;
  };
  std::vector<NamedCandidate> named;
  MergedRecord out;
  out.key = key;
  for (const auto& r : records) {
    const std::string* source = &view_.sources[r.source_index].id;
    out.sources.push_back(*source);
    keys_.mappings()[r.source_index].ForEach(
        *r.fields, [&](const std::string& name, const nlohmann::json& value) {
          named.push_back(NamedCandidate{&name, Candidate{source, r.fetched_at, &value}});
        });
  }
  std::stable_sort(
      named.begin(), named.end(),
      [](const NamedCandidate& a, const NamedCandidate& b) { return *a.field < *b.field; });
  auto& fields = out.fields.get_ref<nlohmann::json::object_t&>();
  std::vector<Candidate> candidates;
  for (size_t i = 0; i < named.size();) {
    const std::string& field = *named[i].field;
    candidates.clear();
    for (; i < named.size() && *named[i].field == field; ++i) {
      candidates.push_back(named[i].candidate);
    }
    const config::FieldRule& rule = RuleFor(field);
    // Fields come in name order: each goes at the end of the record's maps.
    if (auto outcome = MergeField(rule, candidates)) {
      fields.emplace_hint(fields.end(), field, std::move(outcome->value));
      out.provenance.emplace_hint(out.provenance.end(), field, std::move(outcome->provenance));
    }
    // Key fields matched after normalisation ("004" and "4"): not a disagreement.
    if (IsKeyField(field)) continue;
    if (auto conflict = FindConflict(field, rule.compare, candidates)) {
      out.conflicts.push_back(std::move(*conflict));
    }
  }
  return out;
}

std::vector<MergedRecord> MergeView(const config::ViewConfig& view,
                                    const std::vector<SourceSnapshot>& snapshots,
                                    MergeStats* stats) {
  MergeStats local;
  const ViewMerger merger(view);
  std::unordered_map<std::string, std::vector<SourceRecordRef>> by_key;
  for (size_t i = 0; i < view.sources.size(); ++i) {
    const SourceSnapshot* snapshot = nullptr;
    for (const auto& s : snapshots) {
      if (s.source_id == view.sources[i].id) snapshot = &s;
    }
    if (snapshot == nullptr) continue;
    std::set<std::string> seen;
    for (const auto& record : snapshot->records) {
      auto key = merger.keys().KeyOf(i, record.fields);
      if (!key) {
        ++local.records_without_key;
        continue;
      }
      if (!seen.insert(*key).second) {
        ++local.duplicate_keys;
        local.duplicates[view.sources[i].id].insert(*key);
        continue;
      }
      by_key[*key].push_back(SourceRecordRef{i, snapshot->fetched_at, &record.fields});
    }
  }
  std::vector<std::string> keys;
  keys.reserve(by_key.size());
  for (const auto& [key, records] : by_key) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  std::vector<MergedRecord> result;
  result.reserve(keys.size());
  for (const auto& key : keys) {
    if (auto merged = merger.Merge(key, std::move(by_key[key]))) {
      result.push_back(std::move(*merged));
    }
  }
  if (stats) *stats = std::move(local);
  return result;
}

}  // namespace tributary::merge::combine
