#pragma once
// The SSRF guard's address test: is a resolved address on a private, loopback, link-local or
// unspecified network, where a fetched URL must not reach unless the operator allows it
// (fetch.allow_private_networks)? Checked on the address libcurl is about to connect to, so
// redirects and DNS answers that point inside are refused too.
// Thread safety: pure functions.

#include <sys/socket.h>

#include <string>

namespace tributary::fetchers {

// True for 127.0.0.0/8, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.0.0/16, 0.0.0.0/8,
// ::1, ::, fc00::/7, fe80::/10 and IPv4-mapped IPv6 forms of the IPv4 ranges. Unknown address
// families count as private (refused).
bool IsPrivateAddress(const sockaddr* address);

// The same test on a numeric address as text ("10.1.2.3", "fe80::1"); text that is not a
// numeric IPv4 or IPv6 address counts as private (refused).
bool IsPrivateAddressText(const std::string& text);

// "127.0.0.1" or "::1"; "(unknown address)" for other families.
std::string FormatAddress(const sockaddr* address);

}  // namespace tributary::fetchers
