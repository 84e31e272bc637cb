#include "fetchers/address_guard.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <string>

namespace tributary::fetchers {
namespace {

sockaddr_storage Parse(const std::string& text) {
  sockaddr_storage storage{};
  if (text.find(':') == std::string::npos) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    EXPECT_EQ(inet_pton(AF_INET, text.c_str(), &in->sin_addr), 1) << text;
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    EXPECT_EQ(inet_pton(AF_INET6, text.c_str(), &in6->sin6_addr), 1) << text;
  }
  return storage;
}

bool IsPrivate(const std::string& text) {
  const sockaddr_storage s = Parse(text);
  return IsPrivateAddress(reinterpret_cast<const sockaddr*>(&s));
}

TEST(AddressGuard, RefusesPrivateRanges) {
  for (const char* a :
       {"127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.255.255", "172.16.0.1",
        "172.31.255.255", "192.168.1.1", "169.254.169.254", "0.0.0.0", "::1", "::", "fc00::1",
        "fdff:ffff::1", "fe80::1", "febf::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3",
        // Cloud metadata outside the classic ranges: Alibaba (100.100.100.200, shared address
        // space 100.64.0.0/10) and Oracle (192.0.0.192).
        "100.100.100.200", "100.64.0.1", "100.127.255.255", "192.0.0.192",
        // Benchmarking, multicast, reserved and broadcast.
        "198.18.0.1", "198.19.255.255", "224.0.0.1", "239.255.255.250", "240.0.0.1",
        "255.255.255.255",
        // IPv6: deprecated site-local, multicast, and private IPv4 inside NAT64 and 6to4.
        "fec0::1", "ff02::1", "64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1", "2002:a00:1::1",
        "2002:c0a8:101::1"}) {
    EXPECT_TRUE(IsPrivate(a)) << a;
  }
}

TEST(AddressGuard, AllowsPublicAddresses) {
  for (const char* a :
       {"93.184.216.34", "8.8.8.8", "172.15.255.255", "172.32.0.1", "192.167.1.1", "169.253.1.1",
        "11.0.0.1", "2606:2800:220:1::1", "::ffff:8.8.8.8", "100.63.255.255", "100.128.0.1",
        "192.0.1.1", "198.17.255.255", "198.20.0.1", "223.255.255.255",
        // Public IPv4 inside NAT64 and 6to4 stays public.
        "64:ff9b::808:808", "2002:808:808::1"}) {
    EXPECT_FALSE(IsPrivate(a)) << a;
  }
}

TEST(AddressGuard, UnknownFamiliesAreRefused) {
  sockaddr unknown{};
  unknown.sa_family = AF_UNIX;
  EXPECT_TRUE(IsPrivateAddress(&unknown));
  EXPECT_TRUE(IsPrivateAddress(nullptr));
}

TEST(AddressGuard, ChecksAddressText) {
  EXPECT_TRUE(IsPrivateAddressText("127.0.0.1"));
  EXPECT_TRUE(IsPrivateAddressText("fd00::2"));
  EXPECT_TRUE(IsPrivateAddressText("fe80::1%eth0"));  // scoped: not numeric, refused
  EXPECT_TRUE(IsPrivateAddressText("example.com"));
  EXPECT_TRUE(IsPrivateAddressText(""));
  EXPECT_FALSE(IsPrivateAddressText("93.184.216.34"));
  EXPECT_FALSE(IsPrivateAddressText("2606:2800:220:1::1"));
}

TEST(AddressGuard, FormatsAddresses) {
  const sockaddr_storage v4 = Parse("127.0.0.1");
  const sockaddr_storage v6 = Parse("fe80::1");
  EXPECT_EQ(FormatAddress(reinterpret_cast<const sockaddr*>(&v4)), "127.0.0.1");
  EXPECT_EQ(FormatAddress(reinterpret_cast<const sockaddr*>(&v6)), "fe80::1");
}

}  // namespace
}  // namespace tributary::fetchers
