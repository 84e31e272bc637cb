#pragma once
// Parsing of the fetch engine's configuration keys (see fetch_config.hpp): the top-level
// "groups", the policy keys under "fetch" and the per-source fetch and schedule keys. The
// loader and the source parser call these hooks for keys they do not know themselves.
// Thread safety: pure functions.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/json_reader.hpp"

namespace tributary::config {

// Keys under "fetch" handled here (for did-you-mean lists).
const std::vector<std::string>& FetchPolicyKeys();
// True when `key` under "fetch" was one of ours (parsed, errors reported).
bool ParseFetchPolicyKey(const std::string& key, const nlohmann::json& value,
                         const std::string& path, JsonReader& r, FetchPolicy& policy);

// "groups": {"shop": {"concurrency": 1, "spacing": "300ms", "rate": "5/s", "burst": 2}}
void ParseGroups(const nlohmann::json& value, const std::string& path, JsonReader& r,
                 std::map<std::string, GroupLimits>& groups);

// Source keys handled here.
const std::vector<std::string>& SourceFetchKeys();
bool ParseSourceFetchKey(const std::string& key, const nlohmann::json& value,
                         const std::string& path, JsonReader& r, SourceConfig& source);
// Checks that need the whole file: named groups exist; every/cron/jitter agree.
void CheckFetchReferences(const Config& cfg, JsonReader& r);

// "5/s", "30/m", "100/h", "0.5/s" -> requests per second; nullopt when malformed.
std::optional<double> ParseRate(const std::string& text);

}  // namespace tributary::config
