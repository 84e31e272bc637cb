#include "fetchers/proxy_env.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace tributary::fetchers {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ProxyEnv, TheSchemesVariableThenAllProxy) {
  const auto env = Env({{"http_proxy", "http://p1:3128"}, {"HTTPS_PROXY", "http://p2:3128"}});
  EXPECT_EQ(ProxyForUrl("http://example.com/x", env), "http://p1:3128");
  EXPECT_EQ(ProxyForUrl("HTTPS://example.com/x", env), "http://p2:3128");
  EXPECT_EQ(ProxyForUrl("file:///etc/hosts", env), "");
  EXPECT_EQ(ProxyForUrl("https://example.com/",
                        Env({{"https_proxy", "http://lower"}, {"HTTPS_PROXY", "http://upper"}})),
            "http://lower");
  const auto all = Env({{"ALL_PROXY", "socks5h://p3:1080"}});
  EXPECT_EQ(ProxyForUrl("http://example.com/", all), "socks5h://p3:1080");
  EXPECT_EQ(ProxyForUrl("https://example.com/", all), "socks5h://p3:1080");
  EXPECT_EQ(ProxyForUrl("http://example.com/", Env({})), "");
  EXPECT_EQ(ProxyForUrl("http://example.com/", Env({{"http_proxy", ""}})), "");
}

TEST(ProxyEnv, UpperCaseHttpProxyIsIgnoredAsCurlDoes) {
  // A CGI program receives a request's "Proxy:" header as HTTP_PROXY (httpoxy).
  EXPECT_EQ(ProxyForUrl("http://example.com/", Env({{"HTTP_PROXY", "http://evil:80"}})), "");
}

TEST(ProxyEnv, NoProxyListsHostsDomainsAndAddresses) {
  const auto env = Env({{"http_proxy", "http://p:3128"},
                        {"no_proxy", " internal.example , .corp.example,10.1.2.3,[::1]"}});
  EXPECT_EQ(ProxyForUrl("http://internal.example/", env), "");
  EXPECT_EQ(ProxyForUrl("http://a.internal.example:8080/", env), "");
  EXPECT_EQ(ProxyForUrl("http://corp.example/", env), "");
  EXPECT_EQ(ProxyForUrl("http://x.corp.example/", env), "");
  EXPECT_EQ(ProxyForUrl("http://10.1.2.3/", env), "");
  EXPECT_EQ(ProxyForUrl("http://[::1]:80/", env), "");
  EXPECT_EQ(ProxyForUrl("http://notinternal.example/", env), "http://p:3128");
  EXPECT_EQ(ProxyForUrl("http://10.1.2.30/", env), "http://p:3128");
  EXPECT_EQ(
      ProxyForUrl("http://example.com/", Env({{"http_proxy", "http://p:3128"}, {"NO_PROXY", "*"}})),
      "");
}

TEST(ProxyEnv, PrivateHostNamesThroughAProxy) {
  for (const char* host : {"127.0.0.1", "10.0.0.5", "169.254.169.254", "::1", "fd00::1",
                           "localhost", "LOCALHOST", "api.localhost", "2130706433"}) {
    EXPECT_TRUE(IsPrivateHostName(host)) << host;
  }
  for (const char* host : {"example.com", "8.8.8.8", "2606:2800:220:1::1", "localhost.example"}) {
    EXPECT_FALSE(IsPrivateHostName(host)) << host;
  }
}

}  // namespace
}  // namespace tributary::fetchers
