#include "fetchers/address_guard.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdint>

namespace tributary::fetchers {
namespace {

// `ip` in host byte order.
bool IsPrivateV4(uint32_t ip) {
  const auto in = [ip](uint32_t net, int bits) {
    const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
    return (ip & mask) == net;
  };
  return in(0x7f000000, 8) ||   // 127.0.0.0/8 loopback
         in(0x0a000000, 8) ||   // 10.0.0.0/8
         in(0xac100000, 12) ||  // 172.16.0.0/12
         in(0xc0a80000, 16) ||  // 192.168.0.0/16
         in(0xa9fe0000, 16) ||  // 169.254.0.0/16 link-local (AWS/GCP/Azure metadata)
         in(0x64400000, 10) ||  // 100.64.0.0/10 shared address space (Alibaba metadata)
         in(0xc0000000, 24) ||  // 192.0.0.0/24 IETF protocol assignments (Oracle metadata)
         in(0xc6120000, 15) ||  // 198.18.0.0/15 benchmarking
         in(0xe0000000, 4) ||   // 224.0.0.0/4 multicast
         in(0xf0000000, 4) ||   // 240.0.0.0/4 reserved, and 255.255.255.255 broadcast
         in(0x00000000, 8);     // 0.0.0.0/8 ("this host")
}

uint32_t V4At(const uint8_t* b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

bool IsPrivateV6(const in6_addr& a) {
  const uint8_t* b = a.s6_addr;
  if (IN6_IS_ADDR_LOOPBACK(&a) || IN6_IS_ADDR_UNSPECIFIED(&a)) return true;
  if ((b[0] & 0xfe) == 0xfc) return true;                  // fc00::/7 unique local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;  // fe80::/10 link-local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return true;  // fec0::/10 site-local (deprecated)
  if (b[0] == 0xff) return true;                           // ff00::/8 multicast
  // IPv4 inside IPv6: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d), NAT64 (64:ff9b::/96,
  // which a DNS64 resolver hands out for IPv4-only names) and 6to4 (2002:aabb:ccdd::/48). A
  // private IPv4 address in any of them reaches the private network all the same.
  if (IN6_IS_ADDR_V4MAPPED(&a) || IN6_IS_ADDR_V4COMPAT(&a)) return IsPrivateV4(V4At(b + 12));
  static constexpr uint8_t kNat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::equal(kNat64, kNat64 + 12, b)) return IsPrivateV4(V4At(b + 12));
  if (b[0] == 0x20 && b[1] == 0x02) return IsPrivateV4(V4At(b + 2));
  return false;
}

}  // namespace

bool IsPrivateAddress(const sockaddr* address) {
  if (address == nullptr) return true;
  switch (address->sa_family) {
    case AF_INET:
      return IsPrivateV4(ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr));
    case AF_INET6:
      return IsPrivateV6(reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr);
    default:
      return true;
  }
}

bool IsPrivateAddressText(const std::string& text) {
  sockaddr_in v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    return IsPrivateAddress(reinterpret_cast<const sockaddr*>(&v4));
  }
  sockaddr_in6 v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    return IsPrivateAddress(reinterpret_cast<const sockaddr*>(&v6));
  }
  return true;
}

std::string FormatAddress(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address != nullptr && address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr) return text;
  } else if (address != nullptr && address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    if (inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text) != nullptr) return text;
  }
  return "(unknown address)";
}

}  // namespace tributary::fetchers
