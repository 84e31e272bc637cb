#pragma once
// The API's endpoints. The daemon provides the ApiContext: what handlers read (configuration
// snapshot, store, change feed, runtime status) and the operations admin endpoints trigger.
// Thread safety: handlers run concurrently on the handler pool; everything in ApiContext must
// be safe to call from any thread.

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "config/config.hpp"
#include "service/api/change_feed.hpp"
#include "service/api/router.hpp"
#include "service/metrics/registry.hpp"
#include "service/storage/store.hpp"

namespace tributary::service::api {

struct PreviewResult {
  int status = 200;     // 200, or the error status (400 bad definition, 502 fetch failed ...)
  nlohmann::json body;  // {"records":[…], "fill":{…}, …} or {"error":{…}}
};

struct ApiContext {
  std::function<std::shared_ptr<const config::Config>()> config;  // the running configuration
  storage::Store* store = nullptr;
  ChangeFeed* feed = nullptr;
  metrics::Registry* metrics = nullptr;
  std::function<nlohmann::json()> runtime_status;  // workers, scheduler (for /readyz, sources)
  std::function<bool()> workers_ready;             // at least one worker can run jobs
  // What the daemon knows about a source at run time: schedule, politeness, robots, quarantine.
  std::function<nlohmann::json(const std::string& source_id)> source_status;
  // Administration. False: unknown source.
  std::function<bool(const std::string& source_id)> refresh;
  // Pauses or resumes a configured source, durably (an error: the store could not record it).
  std::function<Status(const std::string& source_id, bool paused)> set_paused;
  // Reloads the configuration file: {"applied": bool, "errors": […], "changes": {…}}.
  std::function<nlohmann::json()> reload;
  // Fetches and extracts a source definition once, storing nothing; `done` once, any thread.
  std::function<void(const nlohmann::json& definition, std::function<void(PreviewResult)> done)>
      preview;
  std::string openapi;  // the OpenAPI document served at /api/v1/openapi.json
};

std::shared_ptr<Router> MakeApiRouter(ApiContext context);

}  // namespace tributary::service::api
