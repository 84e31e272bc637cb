// The transport against a misbehaving origin: compression bombs, oversized headers, dripping
// and stalled bodies, resets mid-body, short bodies; and the per-source request options:
// credentials, cookies, proxies, TLS settings, conditional requests.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "fetchers/fetcher.hpp"
#include "tests/fetchers/fetch_test_util.hpp"
#include "tests/support/origin.hpp"

namespace tributary::fetchers {
namespace {

using std::chrono::milliseconds;
using test_support::Response;
using test_support::TestOrigin;

class TransportFaults : public ::testing::Test {
 protected:
  TestOrigin origin_;
  Fetcher fetcher_{FetcherOptions{1}};
};

TEST_F(TransportFaults, GzipBombIsStoppedEarlyByTheCompressionRatio) {
  if (!TestOrigin::GzipSupported()) GTEST_SKIP() << "test origin built without zlib";
  Response bomb{200, {{"Content-Type", "text/html"}}, std::string(40u << 20, '\0')};
  bomb.gzip = true;
  origin_.Route("/bomb", bomb);
  FetchRequest request = LoopbackRequest(origin_.Url("/bomb"));
  request.max_decompressed = 1ull << 30;  // only the ratio is under test
  const FetchResult r = FetchSync(fetcher_, request);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error_class, ErrorClass::kPermanent);
  EXPECT_NE(r.error->message.find("compression ratio exceeds max_compression_ratio"),
            std::string::npos)
      << r.error->message;
  EXPECT_TRUE(r.body.empty());
  // Stopped early: a small part of the 40 MiB was decoded (the ratio is judged per chunk as it
  // arrives), not the whole bomb and then judged.
  EXPECT_GT(r.bytes, 0u);
  EXPECT_LT(r.bytes, 8u << 20) << "decoded " << r.bytes << " bytes before stopping";
}

TEST_F(TransportFaults, OrdinaryCompressionPasses) {
  if (!TestOrigin::GzipSupported()) GTEST_SKIP() << "test origin built without zlib";
  std::string page;
  for (int i = 0; i < 4000; ++i) page += "<li class=\"item\">item " + std::to_string(i) + "</li>\n";
  Response zipped{200, {}, page};
  zipped.gzip = true;
  origin_.Route("/page", zipped);
  const FetchResult r = FetchSync(fetcher_, LoopbackRequest(origin_.Url("/page")));
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(r.body, page);
  EXPECT_LT(r.wire_bytes, r.bytes);
}

TEST_F(TransportFaults, HugeHeadersAreRefused) {
  Response big{200, {}, "ok"};
  for (int i = 0; i < 40; ++i)
    big.headers.emplace_back("X-Filler-" + std::to_string(i), std::string(1000, 'h'));
  origin_.Route("/headers", big);
  FetchRequest request = LoopbackRequest(origin_.Url("/headers"));
  request.max_header_size = 16 * 1024;
  const FetchResult r = FetchSync(fetcher_, request);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error_class, ErrorClass::kPermanent);
  EXPECT_EQ(r.error->message, "response headers exceed max_header_size (16384 bytes)");
  request.max_header_size = 64 * 1024;
  EXPECT_FALSE(FetchSync(fetcher_, request).error);
}

TEST_F(TransportFaults, DrippingBodyArrivesWhole) {
  Response drip{200, {}, std::string(2000, 'd')};
  drip.drip_bytes = 200;
  drip.drip_interval = milliseconds(20);
  origin_.Route("/drip", drip);
  const FetchResult r = FetchSync(fetcher_, LoopbackRequest(origin_.Url("/drip")));
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(r.body, std::string(2000, 'd'));
  EXPECT_GE(r.duration, milliseconds(150));
}

TEST_F(TransportFaults, StalledBodyIsAbortedByTheLowSpeedLimit) {
  Response stall{200, {}, std::string(400, 's')};
  stall.drip_bytes = 10;
  stall.drip_interval = milliseconds(400);
  origin_.Route("/stall", stall);
  FetchRequest request = LoopbackRequest(origin_.Url("/stall"));
  request.low_speed_limit = 1000;
  request.low_speed_time = milliseconds(1000);
  const auto start = std::chrono::steady_clock::now();
  const FetchResult r = FetchSync(fetcher_, request);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error_class, ErrorClass::kRetryable) << r.error->message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(6));
}

TEST_F(TransportFaults, SlowHeadersHitTheTimeout) {
  Response slow{200, {}, "late"};
  slow.drip_headers = true;
  slow.drip_bytes = 4;
  slow.drip_interval = milliseconds(100);
  origin_.Route("/slow-headers", slow);
  FetchRequest request = LoopbackRequest(origin_.Url("/slow-headers"));
  request.timeout = milliseconds(500);
  const FetchResult r = FetchSync(fetcher_, request);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error_class, ErrorClass::kRetryable);
  EXPECT_NE(r.error->message.find("timed out"), std::string::npos) << r.error->message;
}

TEST_F(TransportFaults, ResetMidBodyIsRetryable) {
  Response reset{200, {}, std::string(100000, 'r')};
  reset.reset_after = 5000;
  origin_.Route("/reset", reset);
  const FetchResult r = FetchSync(fetcher_, LoopbackRequest(origin_.Url("/reset")));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error_class, ErrorClass::kRetryable) << r.error->message;
}

TEST_F(TransportFaults, ShortBodyAgainstContentLengthIsRetryable) {
  Response short_body{200, {}, std::string(1000, 'w')};
  short_body.missing_bytes = 500;
  origin_.Route("/short", short_body);
  const FetchResult r = FetchSync(fetcher_, LoopbackRequest(origin_.Url("/short")));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error_class, ErrorClass::kRetryable) << r.error->message;
}

TEST_F(TransportFaults, RedirectChainRecordsTheFinalUrl) {
  origin_.Route("/r1", {301, {{"Location", "/r2"}}, ""});
  origin_.Route("/r2", {302, {{"Location", "/r3"}}, ""});
  origin_.Route("/r3", {307, {{"Location", "/final"}}, ""});
  origin_.Route("/final", {200, {}, "arrived"});
  const FetchResult r = FetchSync(fetcher_, LoopbackRequest(origin_.Url("/r1")));
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(r.final_url, origin_.Url("/final"));
  FetchRequest limited = LoopbackRequest(origin_.Url("/r1"));
  limited.max_redirects = 2;
  const FetchResult refused = FetchSync(fetcher_, limited);
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->error_class, ErrorClass::kPermanent);
}

TEST_F(TransportFaults, BasicAndBearerCredentials) {
  origin_.Route("/auth", {200, {}, "ok"});
  FetchRequest basic = LoopbackRequest(origin_.Url("/auth"));
  basic.basic_user = "alice";
  basic.basic_password = "s3cret";
  ASSERT_FALSE(FetchSync(fetcher_, basic).error);
  FetchRequest bearer = LoopbackRequest(origin_.Url("/auth"));
  bearer.bearer_token = "tok-123";
  ASSERT_FALSE(FetchSync(fetcher_, bearer).error);
  const auto log = origin_.Requests();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].Header("authorization"), "Basic YWxpY2U6czNjcmV0");
  EXPECT_EQ(log[1].Header("authorization"), "Bearer tok-123");
}

TEST_F(TransportFaults, CookiesGoToTheSourceHostOnly) {
  TestOrigin elsewhere(0, "127.0.0.8");
  elsewhere.Route("/landing", {200, {}, "other host"});
  origin_.Route("/c", {302, {{"Location", elsewhere.Url("/landing")}}, ""});
  FetchRequest request = LoopbackRequest(origin_.Url("/c"));
  request.cookies = "session=abc; theme=dark";
  ASSERT_FALSE(FetchSync(fetcher_, request).error);
  ASSERT_EQ(origin_.Requests().size(), 1u);
  const std::string sent = origin_.Requests()[0].Header("cookie");
  EXPECT_NE(sent.find("session=abc"), std::string::npos) << sent;
  EXPECT_NE(sent.find("theme=dark"), std::string::npos) << sent;
  ASSERT_EQ(elsewhere.Requests().size(), 1u);
  EXPECT_EQ(elsewhere.Requests()[0].Header("cookie"), "");
}

TEST_F(TransportFaults, AnExplicitProxyReceivesTheRequest) {
  origin_.Route("http://feeds.example.invalid/rss", {200, {}, "via proxy"});
  FetchRequest request = LoopbackRequest("http://feeds.example.invalid/rss");
  request.proxy = origin_.Url("");
  request.allow_private_networks = false;  // the proxy is the operator's choice
  const FetchResult r = FetchSync(fetcher_, request);
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(r.body, "via proxy");
  ASSERT_EQ(origin_.Requests().size(), 1u);
  EXPECT_EQ(origin_.Requests()[0].target, "http://feeds.example.invalid/rss");
}

TEST_F(TransportFaults, AProxyDoesNotOpenTheWayToPrivateAddresses) {
  // The proxy's own address is private (loopback here) and allowed; the targets are not.
  for (const std::string target : {"http://127.0.0.1:9/admin", "http://localhost/", "http://[::1]/",
                                   "http://169.254.169.254/latest/meta-data"}) {
    FetchRequest request = LoopbackRequest(target);
    request.proxy = origin_.Url("");
    request.allow_private_networks = false;
    const FetchResult r = FetchSync(fetcher_, request);
    ASSERT_TRUE(r.error) << target;
    EXPECT_EQ(r.error->error_class, ErrorClass::kPermanent) << target;
    EXPECT_NE(r.error->message.find("is private"), std::string::npos) << r.error->message;
  }
  EXPECT_TRUE(origin_.Requests().empty()) << "the proxy received a request for a private target";
}

TEST_F(TransportFaults, ABadCaFileIsAPermanentError) {
  FetchRequest request =
      LoopbackRequest("https://127.0.0.1:" + std::to_string(origin_.port()) + "/");
  request.ca_file = "/nonexistent/ca.pem";
  const FetchResult r = FetchSync(fetcher_, request);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error_class, ErrorClass::kPermanent) << r.error->message;
}

TEST_F(TransportFaults, ConditionalRequestsGet304WithoutABody) {
  Response page{200, {}, "v1 body"};
  page.etag = "\"v1\"";
  page.last_modified = "Sun, 06 Nov 1994 08:49:37 GMT";
  origin_.Route("/cond", page);
  const FetchResult first = FetchSync(fetcher_, LoopbackRequest(origin_.Url("/cond")));
  ASSERT_FALSE(first.error);
  EXPECT_EQ(HeaderValue(first, "etag"), "\"v1\"");
  FetchRequest again = LoopbackRequest(origin_.Url("/cond"));
  again.headers = {{"If-None-Match", "\"v1\""}};
  const FetchResult second = FetchSync(fetcher_, again);
  EXPECT_FALSE(second.error);
  EXPECT_EQ(second.status, 304);
  EXPECT_TRUE(second.body.empty());
  FetchRequest by_date = LoopbackRequest(origin_.Url("/cond"));
  by_date.headers = {{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}};
  EXPECT_EQ(FetchSync(fetcher_, by_date).status, 304);
}

}  // namespace
}  // namespace tributary::fetchers
