// Politeness group keys: named groups, hosts, registrable domains (Public Suffix List), IPs.
#include "fetchers/group_key.hpp"

#include <gtest/gtest.h>

namespace tributary::fetchers {
namespace {

FetchRequest Request(std::string url, GroupBy by, std::string name = "") {
  FetchRequest r;
  r.url = std::move(url);
  r.group.by = by;
  r.group.name = std::move(name);
  return r;
}

TEST(GroupKey, RegistrableDomainsFollowThePublicSuffixList) {
  EXPECT_EQ(RegistrableDomain("staff.tumblr.com"), "tumblr.com");
  EXPECT_EQ(RegistrableDomain("a.b.example.co.uk"), "example.co.uk");
  // github.io is a public suffix: every site is its own registrable domain.
  EXPECT_EQ(RegistrableDomain("alice.github.io"), "alice.github.io");
  EXPECT_EQ(RegistrableDomain("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(RegistrableDomain("localhost"), "localhost");
}

TEST(GroupKey, ByHostDomainIpOrName) {
  EXPECT_EQ(GroupKeyFor(Request("https://Staff.Tumblr.com/x", GroupBy::kHost)),
            "host:staff.tumblr.com");
  EXPECT_EQ(GroupKeyFor(Request("https://staff.tumblr.com/x", GroupBy::kDomain)),
            "domain:tumblr.com");
  EXPECT_EQ(GroupKeyFor(Request("https://news.tumblr.com/y", GroupBy::kDomain)),
            "domain:tumblr.com");
  EXPECT_EQ(GroupKeyFor(Request("http://127.0.0.9:8080/x", GroupBy::kIp)), "ip:127.0.0.9");
  EXPECT_EQ(GroupKeyFor(Request("http://example.com/x", GroupBy::kIp)), "ip-pending:example.com");
  EXPECT_EQ(GroupKeyFor(Request("http://a.example.com/x", GroupBy::kHost, "shop")), "group:shop");
  EXPECT_EQ(GroupKeyFor(Request("file:///tmp/x", GroupBy::kHost)), "local:");
}

}  // namespace
}  // namespace tributary::fetchers
