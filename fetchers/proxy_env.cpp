#include "fetchers/proxy_env.hpp"

#include <cstdlib>
#include <utility>
#include <vector>

#include "fetchers/address_guard.hpp"
#include "fetchers/url_host.hpp"

namespace tributary::fetchers {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::string> FirstSet(const EnvLookup& env, const char* lower, const char* upper) {
  if (auto v = env(lower); v && !v->empty()) return v;
  if (upper != nullptr) {
    if (auto v = env(upper); v && !v->empty()) return v;
  }
  return std::nullopt;
}

// no_proxy: comma-separated names; "*" alone matches everything; a name matches the host
// itself and every name under it; a leading dot is allowed.
bool Bypassed(const std::string& host, const std::string& no_proxy) {
  std::string_view rest = no_proxy;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string entry = Lower(Trim(rest.substr(0, comma)));
    rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
    if (entry.empty()) continue;
    if (entry == "*") return true;
    if (entry.front() == '.') entry.erase(0, 1);
    if (entry.size() > 2 && entry.front() == '[' && entry.back() == ']') {
      entry = entry.substr(1, entry.size() - 2);
    }
    if (host == entry) return true;
    if (host.size() > entry.size() && host.ends_with(entry) &&
        host[host.size() - entry.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<std::string> ProcessEnv(const char* name) {
  const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): nothing calls setenv
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

const EnvLookup& ProcessProxyEnv() {
  static const EnvLookup env = [] {
    std::vector<std::pair<std::string, std::string>> set;
    for (const char* name : {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                             "no_proxy", "NO_PROXY"}) {
      if (auto value = ProcessEnv(name)) set.emplace_back(name, std::move(*value));
    }
    return EnvLookup([set](const char* name) -> std::optional<std::string> {
      for (const auto& [n, v] : set) {
        if (n == name) return v;
      }
      return std::nullopt;
    });
  }();
  return env;
}

std::string ProxyForUrl(std::string_view url, const EnvLookup& env) {
  const size_t colon = url.find("://");
  if (colon == std::string_view::npos) return "";
  const std::string scheme = Lower(url.substr(0, colon));
  if (scheme == "file") return "";
  std::optional<std::string> proxy;
  if (scheme == "http") {
    proxy = FirstSet(env, "http_proxy", nullptr);
  } else if (scheme == "https") {
    proxy = FirstSet(env, "https_proxy", "HTTPS_PROXY");
  }
  if (!proxy) proxy = FirstSet(env, "all_proxy", "ALL_PROXY");
  if (!proxy) return "";
  if (const auto no_proxy = FirstSet(env, "no_proxy", "NO_PROXY");
      no_proxy && Bypassed(HostOf(url), *no_proxy)) {
    return "";
  }
  return *proxy;
}

bool IsPrivateHostName(std::string_view host) {
  const std::string h = Lower(host);
  if (h == "localhost" || h.ends_with(".localhost")) return true;
  // Only literals are judged: a name is resolved by the proxy, which the operator chose.
  const bool literal =
      h.find(':') != std::string::npos || h.find_first_not_of("0123456789.") == std::string::npos;
  return literal && IsPrivateAddressText(h);
}

}  // namespace tributary::fetchers
