#include "merge/record.hpp"

namespace tributary::merge {
namespace {

std::string KeyText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

}  // namespace

nlohmann::json ToJson(const Record& r) { return {{"key", r.key}, {"fields", r.fields}}; }

Record RecordFromJson(const nlohmann::json& j) {
  Record r;
  r.key = j.at("key").get<std::string>();
  r.fields = j.value("fields", nlohmann::json::object());
  return r;
}

nlohmann::json ToJson(const MergedRecord& r) {
  nlohmann::json provenance = nlohmann::json::object();
  for (const auto& [field, p] : r.provenance) {
    provenance[field] = {{"source", p.source}, {"fetched_at", FormatRfc3339(p.fetched_at)}};
  }
  return {{"key", r.key}, {"fields", r.fields}, {"sources", r.sources}, {"provenance", provenance}};
}

MergedRecord MergedRecordFromJson(const nlohmann::json& j) {
  MergedRecord r;
  r.key = j.at("key").get<std::string>();
  r.fields = j.value("fields", nlohmann::json::object());
  r.sources = j.value("sources", std::vector<std::string>{});
  if (auto it = j.find("provenance"); it != j.end() && it->is_object()) {
    for (const auto& [field, p] : it->items()) {
      FieldProvenance fp;
      fp.source = p.value("source", "");
      fp.fetched_at = ParseRfc3339(p.value("fetched_at", "")).value_or(SystemTime{});
      r.provenance[field] = fp;
    }
  }
  return r;
}

bool MakeKey(const std::vector<const nlohmann::json*>& values, std::string& key) {
  if (values.empty()) return false;
  for (const auto* v : values) {
    if (v == nullptr || v->is_null()) return false;
    if (v->is_string() && v->get_ref<const std::string&>().empty()) return false;
  }
  if (values.size() == 1) {
    key = KeyText(*values[0]);
    return true;
  }
  nlohmann::json parts = nlohmann::json::array();
  for (const auto* v : values) parts.push_back(KeyText(*v));
  key = parts.dump();
  return true;
}

}  // namespace tributary::merge
