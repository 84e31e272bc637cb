#include "fetchers/url_host.hpp"

#include <gtest/gtest.h>

namespace tributary::fetchers {
namespace {

TEST(UrlHost, ExtractsTheHost) {
  EXPECT_EQ(HostOf("http://Example.COM/feed.xml"), "example.com");
  EXPECT_EQ(HostOf("https://example.com:8443/a?b=c"), "example.com");
  EXPECT_EQ(HostOf("https://user:pw@example.com/"), "example.com");
  EXPECT_EQ(HostOf("http://[::1]:8080/x"), "::1");
  EXPECT_EQ(HostOf("http://127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(HostOf("http://example.com?q=1"), "example.com");
  EXPECT_EQ(HostOf("file:///etc/hosts"), "");
  EXPECT_EQ(HostOf("not a url"), "");
}

TEST(UrlHost, SameGroupSameShard) {
  for (size_t shards : {1u, 2u, 7u}) {
    const size_t a = ShardIndexFor("host:example.com", shards);
    EXPECT_LT(a, shards);
    EXPECT_EQ(a, ShardIndexFor("host:example.com", shards));
  }
}

TEST(UrlHost, OriginsPortsAndPaths) {
  EXPECT_EQ(OriginOf("HTTPS://Example.com/a?b"), "https://example.com");
  EXPECT_EQ(OriginOf("http://u:p@example.com:8080/x"), "http://example.com:8080");
  EXPECT_EQ(OriginOf("http://[::1]:81/x"), "http://[::1]:81");
  EXPECT_EQ(OriginOf("file:///etc/hosts"), "");
  EXPECT_EQ(PortOf("http://example.com:8080/x"), "8080");
  EXPECT_EQ(PortOf("http://example.com/x"), "");
  EXPECT_EQ(PortOf("http://[::1]:81/x"), "81");
  EXPECT_EQ(PathAndQuery("http://example.com"), "/");
  EXPECT_EQ(PathAndQuery("http://example.com/a/b?x=1#frag"), "/a/b?x=1");
  EXPECT_EQ(PathAndQuery("http://example.com?x=1"), "/?x=1");
}

TEST(UrlHost, RedactsCredentialsAndQuery) {
  EXPECT_EQ(RedactUrl("https://user:secret@example.com/path?token=abc#frag"),
            "https://example.com/path");
  EXPECT_EQ(RedactUrl("http://example.com/a/b"), "http://example.com/a/b");
  EXPECT_EQ(RedactUrl("http://example.com?key=1"), "http://example.com");
  EXPECT_EQ(RedactUrl("file:///tmp/x"), "file:///tmp/x");
}

}  // namespace
}  // namespace tributary::fetchers
