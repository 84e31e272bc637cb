#pragma once
// Access control of the API: bearer tokens from the configuration (api.tokens), compared in
// constant time; tokens never appear in logs or replies.
//   kOpen:    anyone (/healthz, /readyz).
//   kRead:    anyone while no read token is configured; else a read or admin token.
//   kAdmin:   an admin token; refused for everyone (403) while none is configured.
//   kMetrics: per api.metrics: open, token (any valid token), or off (404).
// A token that is presented but not valid is refused (401) on every class but kOpen, so a
// misconfigured client learns at once.
// Thread safety: pure functions over an immutable policy.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/api_config.hpp"

namespace tributary::service::api {

using config::TokenRole;

enum class Access { kOpen, kRead, kAdmin, kMetrics };

struct AccessPolicy {
  // SHA-256 digests of the tokens with their roles: comparing digests keeps the comparison
  // constant-time whatever the lengths.
  struct Token {
    std::string digest;
    TokenRole role;
  };
  std::vector<Token> tokens;
  bool read_tokens = false;
  bool admin_tokens = false;
  config::MetricsAccess metrics = config::MetricsAccess::kOpen;

  static AccessPolicy From(const config::ApiConfig& api);
};

struct AccessDecision {
  bool allowed = false;
  bool authenticated = false;  // a valid token was presented
  TokenRole role = TokenRole::kRead;
  int status = 0;  // 401, 403 or 404 when refused
  std::string code;
  std::string message;
};

// `authorization`: the Authorization header's value (empty when absent).
AccessDecision Authorize(const AccessPolicy& policy, Access access, std::string_view authorization);

std::string Sha256(std::string_view data);
// Equal-length strings compared without an early exit.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace tributary::service::api
