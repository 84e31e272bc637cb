#pragma once
// Parsing of the "api" object and the "webhooks" array (api_config.hpp), called by the loader.
// Errors carry JSON paths like every other configuration error; secrets (tokens, webhook
// secrets) are never quoted. Thread safety: pure functions.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/json_reader.hpp"

namespace tributary::config {

void ParseApi(const nlohmann::json& v, const std::string& path, JsonReader& r, ApiConfig& api);
void ParseWebhooks(const nlohmann::json& v, const std::string& path, JsonReader& r,
                   std::vector<WebhookConfig>& webhooks);
// Webhook filters name views and sources of the same file; call after both are parsed.
void CheckWebhookReferences(const Config& config, JsonReader& r);

}  // namespace tributary::config
