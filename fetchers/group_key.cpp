#include "fetchers/group_key.hpp"

#include <arpa/inet.h>
#include <libpsl.h>

#include "fetchers/url_host.hpp"

namespace tributary::fetchers {
namespace {

// The newest list available (the publicsuffix package's file when installed, else the one built
// into libpsl). Never freed: requests may be grouped until the process exits.
const psl_ctx_t* PublicSuffixList() {
  static const psl_ctx_t* const ctx = [] {
    const psl_ctx_t* latest = psl_latest(nullptr);
    return latest != nullptr ? latest : psl_builtin();
  }();
  return ctx;
}

}  // namespace

bool IsAddressLiteral(std::string_view host) {
  const std::string text(host);
  in6_addr v6{};
  in_addr v4{};
  return inet_pton(AF_INET, text.c_str(), &v4) == 1 || inet_pton(AF_INET6, text.c_str(), &v6) == 1;
}

std::string RegistrableDomain(std::string_view host) {
  std::string h(host);
  while (!h.empty() && h.back() == '.') h.pop_back();
  if (h.empty() || IsAddressLiteral(h)) return h;
  const psl_ctx_t* psl = PublicSuffixList();
  if (psl == nullptr) return h;
  const char* domain = psl_registrable_domain(psl, h.c_str());
  return domain != nullptr ? std::string(domain) : h;
}

std::string IpGroupKey(std::string_view address) { return "ip:" + std::string(address); }

std::string GroupKeyFor(const FetchRequest& request) {
  if (!request.group.name.empty()) return "group:" + request.group.name;
  const std::string host = HostOf(request.url);
  if (host.empty()) return "local:";  // file:// URLs: no network, one group
  switch (request.group.by) {
    case GroupBy::kHost:
      return "host:" + host;
    case GroupBy::kDomain:
      return "domain:" + RegistrableDomain(host);
    case GroupBy::kIp:
      return IsAddressLiteral(host) ? IpGroupKey(host) : "ip-pending:" + host;
  }
  return "host:" + host;
}

}  // namespace tributary::fetchers
