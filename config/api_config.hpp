#pragma once
// Configuration of the HTTP API ("api") and of webhooks ("webhooks[]"); parsed by
// config/api_definitions.cpp. Thread safety: immutable after loading, like all of Config.

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tributary::config {

enum class TokenRole { kRead, kAdmin };

struct ApiToken {
  std::string token;  // a secret: never log it
  TokenRole role = TokenRole::kRead;

  friend bool operator==(const ApiToken&, const ApiToken&) = default;
};

// Who may scrape GET /metrics.
enum class MetricsAccess { kOpen, kToken, kOff };

struct ApiConfig {
  // Read tokens make every read need a token (read or admin); admin endpoints need an admin
  // token and are disabled without one.
  std::vector<ApiToken> tokens;
  MetricsAccess metrics = MetricsAccess::kOpen;
  std::vector<std::string> cors_origins;  // empty: no CORS headers; "*" allows any origin
  uint64_t max_connections = 1024;
  uint64_t max_body = 1 << 20;
  uint64_t max_header = 16 << 10;
  std::chrono::milliseconds read_timeout{std::chrono::seconds(30)};
  uint64_t max_page_size = 1000;
  uint64_t default_page_size = 100;
  uint64_t stream_buffer = 1000;  // change events queued per SSE client before it is dropped
  std::chrono::milliseconds heartbeat{std::chrono::seconds(15)};  // SSE comment interval
  std::chrono::milliseconds max_wait{std::chrono::seconds(60)};   // long-poll ?wait= cap
  // Threads running the connections (reading, answering cached pages, writing): a response
  // costs the copy into the socket, which one thread does not keep up with on a busy API.
  int io_threads = 2;
  int handler_threads = 4;

  bool HasAdminToken() const {
    for (const auto& t : tokens) {
      if (t.role == TokenRole::kAdmin) return true;
    }
    return false;
  }
  bool HasReadToken() const {
    for (const auto& t : tokens) {
      if (t.role == TokenRole::kRead) return true;
    }
    return false;
  }

  friend bool operator==(const ApiConfig&, const ApiConfig&) = default;
};

// POSTs batches of changes, signed, to a URL; the delivery cursor survives restarts.
struct WebhookConfig {
  std::string id;
  std::string url;
  std::string secret;                // HMAC-SHA256 key: never log it
  std::vector<std::string> views;    // only changes of these views (empty: no view filter)
  std::vector<std::string> sources;  // only changes of these sources (empty: no source filter)
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
  uint64_t batch = 100;                                      // changes per POST at most
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds min_backoff{std::chrono::seconds(1)};
  std::chrono::milliseconds max_backoff{std::chrono::minutes(5)};

  friend bool operator==(const WebhookConfig&, const WebhookConfig&) = default;
};

}  // namespace tributary::config
