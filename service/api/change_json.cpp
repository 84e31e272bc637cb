#include "service/api/change_json.hpp"

#include <algorithm>

namespace tributary::service::api {

nlohmann::json ChangeToJson(const storage::Change& c) {
  nlohmann::json j = {{"seq", c.seq}, {"time", FormatRfc3339(c.time)}};
  if (!c.view_id.empty()) j["view"] = c.view_id;
  if (!c.source_id.empty()) j["source"] = c.source_id;
  j["key"] = c.key;
  j["op"] = c.op;
  j["before"] = c.before;
  j["after"] = c.after;
  if (!c.fields.empty()) j["fields"] = c.fields;  // field-level before/after
  return j;
}

std::string ChangeEvent(const storage::Change& c) {
  return "id: " + std::to_string(c.seq) + "\nevent: change\ndata: " +
         ChangeToJson(c).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

bool MatchesFilter(const storage::ChangeFilter& f, const storage::Change& c) {
  if (f.views.empty() && f.sources.empty()) return true;
  auto has = [](const std::vector<std::string>& list, const std::string& id) {
    return !id.empty() && std::find(list.begin(), list.end(), id) != list.end();
  };
  return has(f.views, c.view_id) || has(f.sources, c.source_id);
}

}  // namespace tributary::service::api
