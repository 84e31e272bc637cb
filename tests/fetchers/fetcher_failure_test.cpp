// The fetch engine when things go wrong: timeouts, refused and dropped connections, bodies over
// max_body, the private-network guard, callbacks that throw.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>

#include "fetchers/fetcher.hpp"
#include "tests/fetchers/fetch_test_util.hpp"
#include "tests/support/origin.hpp"

namespace tributary::fetchers {
namespace {

using test_support::Response;
using test_support::TestOrigin;

class FetcherFailure : public ::testing::Test {
 protected:
  TestOrigin origin_;
  Fetcher fetcher_{FetcherOptions{2}};
};

TEST_F(FetcherFailure, TimeoutIsRetryableAndPrompt) {
  Response slow{200, {}, "too late"};
  slow.delay = std::chrono::seconds(5);
  origin_.Route("/slow", slow);
  FetchRequest request = LoopbackRequest(origin_.Url("/slow"));
  request.timeout = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  const FetchResult r = FetchSync(fetcher_, request, std::chrono::seconds(4));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error_class, ErrorClass::kRetryable);
  EXPECT_NE(r.error->message.find("timed out"), std::string::npos) << r.error->message;
  EXPECT_GE(r.duration, std::chrono::milliseconds(250));
  EXPECT_LT(elapsed, std::chrono::seconds(3));
  EXPECT_EQ(r.status, 0);
}

TEST_F(FetcherFailure, ConnectionRefusedIsRetryable) {
  const uint16_t port = TestOrigin::ClosedPort();
  const FetchResult r =
      FetchSync(fetcher_, LoopbackRequest("http://127.0.0.1:" + std::to_string(port) + "/feed"));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error_class, ErrorClass::kRetryable) << r.error->message;
  EXPECT_NE(r.error->message.find("127.0.0.1"), std::string::npos) << r.error->message;
  EXPECT_EQ(r.status, 0);
}

TEST_F(FetcherFailure, DroppedConnectionIsRetryable) {
  Response drop;
  drop.close_without_reply = true;
  origin_.Route("/drop", drop);
  const FetchResult r = FetchSync(fetcher_, LoopbackRequest(origin_.Url("/drop")));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error_class, ErrorClass::kRetryable) << r.error->message;
}

TEST_F(FetcherFailure, BodyOverMaxBodyIsPermanent) {
  // The default limit, announced by Content-Length.
  origin_.Route("/huge", {200, {}, std::string((16u << 20) + 1, 'x')});
  const FetchResult r = FetchSync(fetcher_, LoopbackRequest(origin_.Url("/huge")));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error_class, ErrorClass::kPermanent);
  EXPECT_EQ(r.error->message, "response body exceeds max_body (16777216 bytes)");
  EXPECT_TRUE(r.body.empty());

  // Exactly at the limit is fine.
  origin_.Route("/fits", {200, {}, std::string(1000, 'y')});
  FetchRequest fits = LoopbackRequest(origin_.Url("/fits"));
  fits.max_body = 1000;
  const FetchResult ok = FetchSync(fetcher_, fits);
  EXPECT_FALSE(ok.error) << ok.error->message;
  EXPECT_EQ(ok.bytes, 1000u);
}

TEST_F(FetcherFailure, DecodedBodyOverMaxDecompressedIsPermanent) {
  if (!TestOrigin::GzipSupported()) GTEST_SKIP() << "test origin built without zlib";
  // Small on the wire, large once decoded: only the write callback can catch it.
  Response bomb{200, {}, std::string(200000, 'z')};
  bomb.gzip = true;
  origin_.Route("/bomb", bomb);
  FetchRequest request = LoopbackRequest(origin_.Url("/bomb"));
  request.max_body = 1000;  // more than the gzip member, which is a few hundred bytes
  request.max_decompressed = 1000;
  request.max_compression_ratio = 0;  // off: the size limit is under test
  const FetchResult r = FetchSync(fetcher_, request);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error_class, ErrorClass::kPermanent);
  EXPECT_EQ(r.error->message, "decompressed body exceeds max_decompressed (1000 bytes)");
  EXPECT_TRUE(r.body.empty());
}

TEST_F(FetcherFailure, PrivateAddressesAreRefusedUnlessAllowed) {
  origin_.Route("/internal", {200, {}, "secret"});
  FetchRequest request = LoopbackRequest(origin_.Url("/internal"));
  request.allow_private_networks = false;
  const FetchResult r = FetchSync(fetcher_, request);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error_class, ErrorClass::kPermanent);
  EXPECT_EQ(r.error->message,
            "address 127.0.0.1 is private; set fetch.allow_private_networks to allow it");
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(origin_.Connections(), 0u);

  request.allow_private_networks = true;
  const FetchResult allowed = FetchSync(fetcher_, request);
  EXPECT_FALSE(allowed.error) << allowed.error->message;
  EXPECT_EQ(allowed.body, "secret");
}

TEST_F(FetcherFailure, PooledConnectionsDoNotBypassTheGuard) {
  origin_.Route("/internal", {200, {}, "secret"});
  FetchRequest request = LoopbackRequest(origin_.Url("/internal"));
  const FetchResult allowed = FetchSync(fetcher_, request);  // leaves a connection in the pool
  ASSERT_FALSE(allowed.error) << allowed.error->message;

  request.allow_private_networks = false;
  const FetchResult r = FetchSync(fetcher_, request);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error_class, ErrorClass::kPermanent);
  EXPECT_EQ(r.error->message,
            "address 127.0.0.1 is private; set fetch.allow_private_networks to allow it");
  EXPECT_EQ(origin_.Hits("/internal"), 1u);
}

TEST_F(FetcherFailure, ThrowingCallbackDoesNotHurtTheShard) {
  origin_.Route("/doc", {200, {}, "ok"});
  auto called = std::make_shared<std::promise<void>>();
  auto future = called->get_future();
  fetcher_.Fetch(LoopbackRequest(origin_.Url("/doc")), [called](FetchResult) {
    called->set_value();
    throw std::runtime_error("callback bug");
  });
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  // The same host, so the same shard: it must still work.
  const FetchResult r = FetchSync(fetcher_, LoopbackRequest(origin_.Url("/doc")));
  EXPECT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(fetcher_.InFlight(), 0u);
}

}  // namespace
}  // namespace tributary::fetchers
