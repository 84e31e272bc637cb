#pragma once
// Logging: one named spdlog logger per component ("fetch", "pool", "merge", "store", "api",
// "sched", "main", "worker"), all writing to stderr in text or JSON-lines form.
// SetupLogging is called once at start-up, before other threads exist; Logger() is thread-safe.

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

namespace tributary {

struct LogOptions {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  bool json = false;           // JSON lines instead of text
};

// Returns false (and leaves logging unchanged) when the level name is unknown.
bool SetupLogging(const LogOptions& options);

// The logger for a component, created on first use with the current settings.
std::shared_ptr<spdlog::logger> Logger(const std::string& component);

}  // namespace tributary
