#pragma once
// The fetch engine's part of the configuration model: politeness groups, retries and the
// circuit breaker, robots.txt, transport limits, credentials, proxies, TLS, and the schedule of
// each source (every/cron, time zone, jitter, server hints). Parsed by fetch_definitions.cpp.
// Thread safety: immutable once loaded, like the rest of Config.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tributary::config {

enum class GroupBy { kHost, kDomain, kIp };

// The limits of one politeness group.
struct GroupLimits {
  int concurrency = 4;
  std::chrono::milliseconds spacing{0};  // between request starts
  double rate = 0;                       // token bucket refill per second; 0: none
  double burst = 1;                      // token bucket capacity

  friend bool operator==(const GroupLimits&, const GroupLimits&) = default;
};

struct RetryConfig {
  int attempts = 3;
  std::chrono::milliseconds base{1000};
  std::chrono::milliseconds cap{60000};
  std::chrono::milliseconds max_retry_after{3600 * 1000};
  double budget = 0.2;        // retries earned per first attempt, per group
  double budget_reserve = 3;  // retries a group may always make
  int circuit_failures = 5;   // consecutive failures that open a group's circuit
  std::chrono::milliseconds circuit_cooldown{60000};

  friend bool operator==(const RetryConfig&, const RetryConfig&) = default;
};

// Global defaults under "fetch" that sources may override.
struct FetchPolicy {
  GroupBy default_group_by = GroupBy::kHost;
  GroupLimits default_group;  // the implicit groups
  RetryConfig retry;
  std::chrono::milliseconds robots_ttl{24 * 3600 * 1000};
  uint64_t low_speed_limit = 0;  // bytes per second; 0: off
  std::chrono::milliseconds low_speed_time{30000};
  uint64_t max_decompressed = 64ull << 20;
  double max_compression_ratio = 100;
  uint64_t max_header_size = 64ull << 10;
  std::string ca_file;
  std::string proxy;  // "" = the environment (http_proxy, https_proxy, no_proxy)
  bool hints = true;  // Cache-Control max-age, Expires and RSS <ttl> may lengthen intervals
  std::chrono::milliseconds hints_max{6 * 3600 * 1000};  // ... up to this
  std::chrono::milliseconds startup_spread{3000};

  friend bool operator==(const FetchPolicy&, const FetchPolicy&) = default;
};

enum class RobotsMode { kDefault, kObey, kIgnore };  // kDefault: obey for html sources

// A source's fetch settings; unset optionals take the "fetch" defaults.
struct SourceFetch {
  std::string group;                // a named group from "groups"
  std::optional<GroupBy> group_by;  // an implicit group by host, domain or ip
  RobotsMode robots = RobotsMode::kDefault;
  std::optional<int> retry_attempts;
  std::optional<std::chrono::milliseconds> connect_timeout;
  std::optional<uint64_t> low_speed_limit;
  std::optional<std::chrono::milliseconds> low_speed_time;
  std::optional<uint64_t> max_body;
  std::optional<uint64_t> max_decompressed;
  std::optional<double> max_compression_ratio;
  std::optional<uint64_t> max_header_size;
  // Credentials (after ${ENV} substitution): never logged, redacted by the API.
  std::string basic_user;
  std::string basic_password;
  std::string bearer_token;
  std::vector<std::pair<std::string, std::string>> cookies;
  std::optional<std::string> proxy;  // "direct" disables any proxy
  bool tls_verify = true;
  std::string ca_file;
  std::optional<bool> allow_private_networks;
  // Schedule: cron (5 fields) instead of every, in a time zone; jitter adds [0, jitter].
  std::string cron;
  std::string timezone;  // IANA name; "" = UTC
  std::chrono::milliseconds jitter{0};
  std::optional<bool> hints;
  std::optional<std::chrono::milliseconds> hints_max;

  friend bool operator==(const SourceFetch&, const SourceFetch&) = default;
};

}  // namespace tributary::config
