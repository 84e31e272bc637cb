#pragma once
// What a configuration reload changes: sources and views added, removed and changed, and other
// settings that differ. Thread safety: pure function.

#include <nlohmann/json.hpp>

#include "config/config.hpp"

namespace tributary::service::api {

// {"sources": {"added": […], "removed": […], "changed": […], "unchanged": n},
//  "views": {… the same …}, "settings": ["api", "fetch", "api.max_body (needs a restart)", …],
//  "restart_needed": bool}. Settings read only at start-up are marked "(needs a restart)": the
// reload stores them, but they take effect at the next start.
nlohmann::json DescribeConfigChanges(const config::Config& before, const config::Config& after);

}  // namespace tributary::service::api
