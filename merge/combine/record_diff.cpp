#include "merge/combine/record_diff.hpp"

#include <algorithm>
#include <unordered_map>

namespace tributary::merge::combine {
namespace {

const nlohmann::json kNull;

const nlohmann::json& FieldOf(const nlohmann::json& object, const std::string& name) {
  if (!object.is_object()) return kNull;
  auto it = object.find(name);
  return it == object.end() ? kNull : *it;
}

}  // namespace

const char* ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAdded:
      return "added";
    case ChangeKind::kRemoved:
      return "removed";
    case ChangeKind::kChanged:
      return "changed";
  }
  return "changed";
}

std::vector<FieldChange> DiffFields(const nlohmann::json& before, const nlohmann::json& after) {
  std::vector<std::string> names;
  for (const auto* side : {&before, &after}) {
    if (!side->is_object()) continue;
    for (auto it = side->begin(); it != side->end(); ++it) names.push_back(it.key());
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::vector<FieldChange> out;
  for (const auto& name : names) {
    const auto& b = FieldOf(before, name);
    const auto& a = FieldOf(after, name);
    if (a != b) out.push_back(FieldChange{name, b, a});
  }
  return out;
}

std::vector<RecordChange> DiffRecords(const std::vector<Record>& before,
                                      const std::vector<Record>& after) {
  std::unordered_map<std::string_view, const Record*> old;
  old.reserve(before.size());
  for (const auto& r : before) old.emplace(r.key, &r);
  std::vector<RecordChange> out;
  std::unordered_map<std::string_view, bool> seen;
  seen.reserve(after.size());
  for (const auto& r : after) {
    if (!seen.emplace(r.key, true).second) continue;
    auto it = old.find(r.key);
    if (it == old.end()) {
      out.push_back(
          RecordChange{r.key, ChangeKind::kAdded, nullptr, r.fields, DiffFields({}, r.fields)});
      continue;
    }
    if (it->second->fields == r.fields) continue;
    out.push_back(RecordChange{r.key, ChangeKind::kChanged, it->second->fields, r.fields,
                               DiffFields(it->second->fields, r.fields)});
  }
  for (const auto& r : before) {
    if (seen.count(r.key)) continue;
    seen.emplace(r.key, true);
    out.push_back(
        RecordChange{r.key, ChangeKind::kRemoved, r.fields, nullptr, DiffFields(r.fields, {})});
  }
  std::sort(out.begin(), out.end(),
            [](const RecordChange& a, const RecordChange& b) { return a.key < b.key; });
  return out;
}

nlohmann::json ToJson(const RecordChange& change) {
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& f : change.fields) fields[f.field] = {{"before", f.before}, {"after", f.after}};
  return {{"key", change.key},
          {"op", ChangeKindName(change.kind)},
          {"before", change.before},
          {"after", change.after},
          {"fields", std::move(fields)}};
}

}  // namespace tributary::merge::combine
