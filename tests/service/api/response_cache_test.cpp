#include "service/api/response_cache.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace tributary::service::api {
namespace {

Response Page(const std::string& body) {
  Response r{http::status::ok, 11};
  r.body() = body;
  r.set("X-Total-Count", std::to_string(body.size()));
  r.prepare_payload();
  return r;
}

TEST(ResponseCache, HitsOnlyForTheSameGenerationAndConfiguration) {
  ResponseCache cache(1 << 20);
  auto config = std::make_shared<int>(1);
  auto other_config = std::make_shared<int>(2);
  EXPECT_FALSE(cache.Find("k", 7, config.get()));
  cache.Store("k", 7, config, Page("records"));

  auto hit = cache.Find("k", 7, config.get());
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->body(), "records");
  EXPECT_EQ((*hit)["X-Total-Count"], "7");
  EXPECT_FALSE(cache.Find("k", 8, config.get()));        // a commit since
  EXPECT_FALSE(cache.Find("k", 7, other_config.get()));  // a reload since
  EXPECT_FALSE(cache.Find("other", 7, config.get()));
  EXPECT_EQ(cache.stats().hits, 1u);
  EXPECT_EQ(cache.stats().misses, 4u);
}

TEST(ResponseCache, ANewerGenerationReplacesAnOlderOneButNotTheOtherWayRound) {
  ResponseCache cache(1 << 20);
  auto config = std::make_shared<int>(1);
  cache.Store("k", 8, config, Page("new"));
  cache.Store("k", 7, config, Page("old"));  // a slower reader finishing late
  ASSERT_TRUE(cache.Find("k", 8, config.get()));
  EXPECT_EQ(cache.Find("k", 8, config.get())->body(), "new");
  cache.Store("k", 9, config, Page("newer"));
  EXPECT_EQ(cache.Find("k", 9, config.get())->body(), "newer");
  EXPECT_EQ(cache.stats().entries, 1u);
}

TEST(ResponseCache, StaysWithinItsBytesDroppingTheLeastRecentlyUsed) {
  ResponseCache cache(64 * 1024);
  auto config = std::make_shared<int>(1);
  const std::string body(8 * 1024, 'x');
  for (int i = 0; i < 6; ++i) cache.Store("k" + std::to_string(i), 1, config, Page(body));
  ASSERT_TRUE(cache.Find("k0", 1, config.get()));  // k0 is now the most recently used
  for (int i = 6; i < 12; ++i) cache.Store("k" + std::to_string(i), 1, config, Page(body));
  EXPECT_LE(cache.stats().bytes, 64u * 1024);
  EXPECT_TRUE(cache.Find("k0", 1, config.get()));
  EXPECT_FALSE(cache.Find("k1", 1, config.get()));
  EXPECT_TRUE(cache.Find("k11", 1, config.get()));
  // A response larger than a quarter of the cache is not kept at all.
  cache.Store("big", 1, config, Page(std::string(20 * 1024, 'y')));
  EXPECT_FALSE(cache.Find("big", 1, config.get()));
}

}  // namespace
}  // namespace tributary::service::api
