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

TEST(UrlHost, SameHostSameShard) {
  for (size_t shards : {1u, 2u, 7u}) {
    const size_t a = ShardIndexFor("http://example.com/a", shards);
    EXPECT_LT(a, shards);
    EXPECT_EQ(a, ShardIndexFor("https://EXAMPLE.com:443/b?c", shards));
  }
  EXPECT_EQ(ShardIndexFor("garbage", 4), ShardIndexFor("file:///x", 4));
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
