#pragma once
// Wall-clock helpers: RFC 3339 formatting and parsing of the timestamps we store and serve.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tributary {

using SystemTime = std::chrono::system_clock::time_point;

// "2026-11-25T13:38:47.123Z" (UTC, millisecond precision).
std::string FormatRfc3339(SystemTime t);
// Accepts what FormatRfc3339 writes, and offsets such as "+02:00"; nullopt when malformed.
std::optional<SystemTime> ParseRfc3339(std::string_view text);

int64_t ToUnixMillis(SystemTime t);
SystemTime FromUnixMillis(int64_t ms);

}  // namespace tributary
