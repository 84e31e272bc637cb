#pragma once
// The API's endpoints: what each route reads and how it answers. The daemon provides the
// ApiContext; handlers only read (configuration snapshot, store, runtime status).
// Thread safety: handlers run concurrently on the handler pool; everything in ApiContext must
// be safe to call from any thread.

#include <functional>
#include <memory>

#include "config/config.hpp"
#include "service/api/router.hpp"
#include "service/storage/store.hpp"

namespace tributary::service::api {

struct ApiContext {
  std::function<std::shared_ptr<const config::Config>()> config;  // the running configuration
  storage::Store* store = nullptr;
  std::function<nlohmann::json()> runtime_status;  // workers, scheduler (for /readyz, sources)
  std::function<bool()> workers_ready;             // at least one worker can run jobs
};

std::shared_ptr<Router> MakeApiRouter(ApiContext context);

}  // namespace tributary::service::api
