#include "service/api/auth.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace tributary::service::api {

std::string Sha256(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
  }
  return diff == 0;
}

AccessPolicy AccessPolicy::From(const config::ApiConfig& api) {
  AccessPolicy p;
  for (const auto& t : api.tokens) {
    p.tokens.push_back({Sha256(t.token), t.role});
    if (t.role == TokenRole::kRead) p.read_tokens = true;
    if (t.role == TokenRole::kAdmin) p.admin_tokens = true;
  }
  p.metrics = api.metrics;
  return p;
}

AccessDecision Authorize(const AccessPolicy& policy, Access access,
                         std::string_view authorization) {
  AccessDecision d;
  if (access == Access::kOpen) {
    d.allowed = true;
    return d;
  }
  if (access == Access::kMetrics && policy.metrics == config::MetricsAccess::kOff) {
    d.status = 404;
    d.code = "metrics_disabled";
    d.message = "metrics are disabled (api.metrics is \"off\")";
    return d;
  }
  if (access == Access::kAdmin && !policy.admin_tokens) {
    d.status = 403;
    d.code = "admin_disabled";
    d.message =
        "administration is disabled: no admin token is configured (add one to api.tokens with "
        "\"role\": \"admin\")";
    return d;
  }

  bool presented = !authorization.empty();
  bool valid = false;
  if (presented) {
    constexpr std::string_view kBearer = "Bearer ";
    std::string_view token;
    if (authorization.size() > kBearer.size() &&
        (authorization.substr(0, kBearer.size()) == kBearer ||
         authorization.substr(0, kBearer.size()) == "bearer ")) {
      token = authorization.substr(kBearer.size());
      while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
      while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    }
    if (!token.empty()) {
      const std::string digest = Sha256(token);
      // Every configured token is compared, matched or not: the time does not tell which.
      for (const auto& t : policy.tokens) {
        if (ConstantTimeEquals(digest, t.digest)) {
          valid = true;
          d.role = t.role;
        }
      }
    }
  }
  if (presented && !valid) {
    d.status = 401;
    d.code = "unauthorized";
    d.message =
        "the bearer token is not valid (send \"Authorization: Bearer <token>\" with a "
        "token from api.tokens)";
    return d;
  }
  d.authenticated = valid;
  const bool needs_token =
      access == Access::kAdmin || (access == Access::kRead && policy.read_tokens) ||
      (access == Access::kMetrics && policy.metrics == config::MetricsAccess::kToken);
  if (needs_token && !valid) {
    d.status = 401;
    d.code = "unauthorized";
    d.message = access == Access::kAdmin ? "this endpoint needs an admin token: send "
                                           "\"Authorization: Bearer <token>\""
                                         : "this endpoint needs a token: send "
                                           "\"Authorization: Bearer <token>\"";
    return d;
  }
  if (access == Access::kAdmin && d.role != TokenRole::kAdmin) {
    d.status = 403;
    d.code = "forbidden";
    d.message = "this endpoint needs an admin token; the token sent is a read token";
    return d;
  }
  d.allowed = true;
  return d;
}

}  // namespace tributary::service::api
