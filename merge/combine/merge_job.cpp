#include "merge/combine/merge_job.hpp"

#include "merge/combine/record_diff.hpp"
#include "merge/combine/view_merger.hpp"

namespace tributary::merge::combine {
namespace {

void AppendJsonString(std::string& out, const std::string& text) {
  out += nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json ConflictsJson(const MergedRecord& r) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : r.conflicts) out.push_back(ToJson(c));
  return out;
}

// Provenance without its times: per field, the source taken and the sources that contributed.
nlohmann::json ProvenanceSources(const nlohmann::json& provenance) {
  nlohmann::json out = nlohmann::json::object();
  if (!provenance.is_object()) return out;
  for (const auto& [field, p] : provenance.items()) {
    if (!p.is_object()) continue;
    out[field] = {p.value("source", ""), p.value("from", nlohmann::json::array())};
  }
  return out;
}

}  // namespace

void AppendMergeItem(std::string& body, const MergeItem& item) {
  body += body.empty() ? "[" : ",";
  body += "{\"key\":";
  AppendJsonString(body, item.key);
  body += ",\"before\":";
  body += item.before != nullptr ? *item.before : "null";
  body += ",\"records\":[";
  for (size_t i = 0; i < item.records.size(); ++i) {
    const auto& r = item.records[i];
    if (i > 0) body += ',';
    body += "{\"s\":" + std::to_string(r.source_index) + ",\"at\":" + std::to_string(r.fetched_ms) +
            ",\"f\":" + *r.fields + "}";
  }
  body += "]}";
}

void FinishMergeBody(std::string& body) { body += body.empty() ? "[]" : "]"; }

Result<nlohmann::json> RunMergeJob(const config::ViewConfig& view, std::string_view body) {
  auto items = nlohmann::json::parse(body, nullptr, false);
  if (items.is_discarded() || !items.is_array()) {
    return Error::Permanent("merge job: the body is not a JSON array");
  }
  const ViewMerger merger(view);
  nlohmann::json results = nlohmann::json::array();
  for (const auto& item : items) {
    if (!item.is_object() || !item.contains("key") || !item["key"].is_string()) {
      return Error::Permanent("merge job: an item has no key");
    }
    const std::string key = item["key"].get<std::string>();
    std::vector<SourceRecordRef> refs;
    if (auto it = item.find("records"); it != item.end() && it->is_array()) {
      for (const auto& r : *it) {
        const auto& f = r.find("f");
        if (f == r.end()) continue;
        refs.push_back(SourceRecordRef{r.value("s", size_t{0}),
                                       FromUnixMillis(r.value("at", int64_t{0})), &*f});
      }
    }
    const auto merged = merger.Merge(key, std::move(refs));
    const auto& before = item.contains("before") ? item["before"] : nlohmann::json();
    const bool had = before.is_object();
    if (!merged && !had) continue;
    nlohmann::json result = {{"key", key}};
    const nlohmann::json before_fields =
        had ? before.value("fields", nlohmann::json::object()) : nlohmann::json();
    if (!merged) {
      result["op"] = "removed";
      result["before"] = before_fields;
      result["after"] = nullptr;
    } else {
      nlohmann::json record = ToJson(*merged);
      const bool same_values =
          had && before_fields == merged->fields &&
          before.value("sources", nlohmann::json::array()) == record["sources"] &&
          before.value("conflicts", nlohmann::json::array()) == ConflictsJson(*merged);
      if (same_values) {
        if (ProvenanceSources(before.value("provenance", nlohmann::json())) ==
            ProvenanceSources(record["provenance"])) {
          continue;  // unchanged: provenance times alone are no change (see the header)
        }
        results.push_back({{"key", key},
                           {"op", "provenance"},
                           {"before", before_fields},
                           {"after", merged->fields},
                           {"fields", nlohmann::json::object()},
                           {"record", std::move(record)}});
        continue;
      }
      result["op"] = had ? "changed" : "added";
      result["before"] = before_fields;
      result["after"] = merged->fields;
      result["record"] = std::move(record);
    }
    nlohmann::json fields = nlohmann::json::object();
    for (const auto& f : DiffFields(result["before"], result["after"])) {
      fields[f.field] = {{"before", f.before}, {"after", f.after}};
    }
    result["fields"] = std::move(fields);
    results.push_back(std::move(result));
  }
  return nlohmann::json{{"ok", true}, {"results", std::move(results)}};
}

Result<std::vector<MergeResult>> ParseMergeResults(const nlohmann::json& reply) {
  std::vector<MergeResult> out;
  auto it = reply.find("results");
  if (it == reply.end() || !it->is_array()) {
    return Error::Permanent("merge job: the reply has no results");
  }
  for (const auto& r : *it) {
    MergeResult m;
    m.key = r.value("key", "");
    m.op = r.value("op", "");
    if (m.key.empty() ||
        (m.op != "added" && m.op != "removed" && m.op != "changed" && m.op != "provenance")) {
      return Error::Permanent("merge job: malformed result");
    }
    if (auto rec = r.find("record"); rec != r.end() && rec->is_object()) {
      m.record = MergedRecordFromJson(*rec);
    } else if (m.op != "removed") {
      return Error::Permanent("merge job: result for " + m.key + " has no record");
    }
    m.before = r.value("before", nlohmann::json());
    m.after = r.value("after", nlohmann::json());
    m.fields = r.value("fields", nlohmann::json::object());
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace tributary::merge::combine
