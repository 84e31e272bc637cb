#pragma once
// Which politeness group a request belongs to: its named group ("group:shop"), else the implicit
// group of its URL by host ("host:a.example.com"), by registrable domain ("domain:example.com",
// from the Public Suffix List via libpsl, so every *.tumblr.com blog shares one group while
// *.github.io sites do not), or by IP address ("ip:192.0.2.7", once the host is resolved).
// Thread safety: pure functions (libpsl's list is loaded once, read-only afterwards).

#include <string>
#include <string_view>

#include "fetchers/fetcher.hpp"

namespace tributary::fetchers {

// The registrable domain (eTLD+1) of a lower-case host name; the host itself for IP literals,
// single labels and hosts that are public suffixes themselves.
std::string RegistrableDomain(std::string_view host);

// The group key of a request. For GroupBy::kIp with a host name (not an address literal) this
// is "ip-pending:" + host: the Fetcher resolves the name and calls IpGroupKey.
std::string GroupKeyFor(const FetchRequest& request);
std::string IpGroupKey(std::string_view address);

// True when `host` is an IPv4 or IPv6 address literal.
bool IsAddressLiteral(std::string_view host);

}  // namespace tributary::fetchers
