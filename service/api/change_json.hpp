#pragma once
// The JSON form of a change, shared by /api/v1/changes, the SSE stream and webhooks:
// {"seq", "time", "view" | "source", "key", "op", "before", "after"}.
// Thread safety: pure functions.

#include <nlohmann/json.hpp>
#include <string>

#include "service/storage/store.hpp"

namespace tributary::service::api {

nlohmann::json ChangeToJson(const storage::Change& change);
// One SSE event: "id: <seq>\nevent: change\ndata: <json>\n\n".
std::string ChangeEvent(const storage::Change& change);
bool MatchesFilter(const storage::ChangeFilter& filter, const storage::Change& change);

}  // namespace tributary::service::api
