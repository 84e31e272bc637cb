#pragma once
// Loading and validating the JSON configuration. Every problem is reported with the JSON path
// of the value at fault ("sources[2].fields.price.type: unknown type \"nmber\"; expected one of
// string, number, integer, boolean, date, url"); unknown keys are errors with a did-you-mean.
// All errors are collected, not just the first. Thread safety: pure functions.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace tributary::config {

struct ConfigError {
  std::string path;  // "sources[2].fields.price.type"; empty for whole-file problems
  std::string message;
  std::string ToString() const { return path.empty() ? message : path + ": " + message; }
};

struct LoadResult {
  std::optional<Config> config;     // set when errors is empty
  std::vector<ConfigError> errors;  // in document order
};

// Every string value in the file may use ${NAME} (the variable's value; an error when unset),
// ${NAME:-text} (`text` when unset or empty) and $${ (a literal "${"). JSON comments (// and
// /* */) are allowed; duplicate keys are errors.
// Looks up an environment variable for ${NAME} substitution; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup ProcessEnvironment();

LoadResult LoadConfigFile(const std::string& path, const EnvLookup& env = ProcessEnvironment());
LoadResult ParseConfig(std::string_view json_text, const EnvLookup& env = ProcessEnvironment());

// Parses one source object (as stored in SourceConfig::definition). `path` prefixes errors.
// Used by worker processes; no environment substitution (already done by the daemon).
std::optional<SourceConfig> ParseSource(const nlohmann::json& definition, const std::string& path,
                                        std::vector<ConfigError>& errors);
std::optional<ViewConfig> ParseView(const nlohmann::json& definition, const std::string& path,
                                    std::vector<ConfigError>& errors);

// "500ms", "30s", "15m", "2h", "1d", "1h30m". nullopt when malformed.
std::optional<Duration> ParseDuration(std::string_view text);
// "16MiB", "512KiB", "1GB", "4096". nullopt when malformed.
std::optional<uint64_t> ParseSize(std::string_view text);
std::string FormatDuration(Duration d);

}  // namespace tributary::config
