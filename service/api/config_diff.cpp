#include "service/api/config_diff.hpp"

namespace tributary::service::api {
namespace {

using nlohmann::json;

template <class T>
json Compare(const std::vector<T>& before, const std::vector<T>& after) {
  json added = json::array();
  json removed = json::array();
  json changed = json::array();
  size_t unchanged = 0;
  for (const auto& a : after) {
    const T* old = nullptr;
    for (const auto& b : before) {
      if (b.id == a.id) old = &b;
    }
    if (old == nullptr) {
      added.push_back(a.id);
    } else if (!(*old == a)) {
      changed.push_back(a.id);
    } else {
      ++unchanged;
    }
  }
  for (const auto& b : before) {
    bool kept = false;
    for (const auto& a : after) kept = kept || a.id == b.id;
    if (!kept) removed.push_back(b.id);
  }
  return {{"added", added}, {"removed", removed}, {"changed", changed}, {"unchanged", unchanged}};
}

constexpr const char* kRestart = " (needs a restart)";

// The api.* keys read once, when the server starts (its listener, sessions and threads); the
// other api keys are read on every request and apply at once.
void CompareApi(const config::ApiConfig& before, const config::ApiConfig& after, json& settings,
                bool& restart) {
  const std::pair<const char*, bool> startup[] = {
      {"api.max_connections", before.max_connections != after.max_connections},
      {"api.max_body", before.max_body != after.max_body},
      {"api.max_header", before.max_header != after.max_header},
      {"api.read_timeout", before.read_timeout != after.read_timeout},
      {"api.io_threads", before.io_threads != after.io_threads},
      {"api.handler_threads", before.handler_threads != after.handler_threads},
      {"api.heartbeat", before.heartbeat != after.heartbeat},
  };
  config::ApiConfig live = after;  // `after` with the start-up keys as they were
  live.max_connections = before.max_connections;
  live.max_body = before.max_body;
  live.max_header = before.max_header;
  live.read_timeout = before.read_timeout;
  live.io_threads = before.io_threads;
  live.handler_threads = before.handler_threads;
  live.heartbeat = before.heartbeat;
  if (!(live == before)) settings.push_back("api");
  for (const auto& [key, changed] : startup) {
    if (!changed) continue;
    settings.push_back(std::string(key) + kRestart);
    restart = true;
  }
}

}  // namespace

json DescribeConfigChanges(const config::Config& before, const config::Config& after) {
  json settings = json::array();
  bool restart = false;
  auto needs_restart = [&](const char* name) {
    settings.push_back(std::string(name) + kRestart);
    restart = true;
  };
  if (!(before.listen == after.listen)) needs_restart("listen");
  if (before.data_dir != after.data_dir) needs_restart("data_dir");
  // The fetch engine's threads and the worker pool are made once, at start-up; the rest of
  // fetch.* is read per fetch. Logging is set up once too.
  if (before.fetch.io_threads != after.fetch.io_threads) needs_restart("fetch.io_threads");
  auto fetch = after.fetch;
  fetch.io_threads = before.fetch.io_threads;
  if (!(before.fetch == fetch)) settings.push_back("fetch");
  if (!(before.workers == after.workers)) needs_restart("workers");
  if (!(before.log == after.log)) needs_restart("log");
  CompareApi(before.api, after.api, settings, restart);
  if (!(before.webhooks == after.webhooks)) settings.push_back("webhooks");
  if (!(before.history == after.history)) settings.push_back("history");
  return {{"sources", Compare(before.sources, after.sources)},
          {"views", Compare(before.views, after.views)},
          {"settings", settings},
          {"restart_needed", restart}};
}

}  // namespace tributary::service::api
