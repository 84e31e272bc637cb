// The "api" and "webhooks" configuration: defaults, limits, tokens, the metrics switch, webhook
// references, with the exact paths the loader reports.
#include "config/api_definitions.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/config/test_util.hpp"

namespace tributary::config {
namespace {

using test_util::Messages;
using test_util::Parse;
using test_util::WithSource;
using ::testing::HasSubstr;

const std::string kToken = "0123456789abcdef0123";

TEST(ApiConfigTest, DefaultsAreSafe) {
  auto result = Parse(WithSource(""));
  ASSERT_TRUE(result.config) << ::testing::PrintToString(Messages(result));
  const auto& api = result.config->api;
  EXPECT_TRUE(api.tokens.empty());
  EXPECT_FALSE(api.HasAdminToken());  // admin endpoints disabled
  EXPECT_EQ(api.metrics, MetricsAccess::kOpen);
  EXPECT_TRUE(api.cors_origins.empty());  // CORS off
  EXPECT_LE(api.default_page_size, api.max_page_size);
  EXPECT_TRUE(result.config->webhooks.empty());
}

TEST(ApiConfigTest, TokensRolesAndLimits) {
  auto result = Parse(WithSource(R"("api": {"tokens": [{"token": "${READ}", "role": "read"},
      {"token": "${ADMIN}", "role": "admin"}], "metrics": "token", "cors_origins": ["*"],
      "max_connections": 10, "max_body": "64KiB", "read_timeout": "5s", "max_page_size": 50,
      "default_page_size": 20, "stream_buffer": 7, "heartbeat": "2s", "max_wait": "10s",
      "io_threads": 3, "handler_threads": 5})"),
                      {{"READ", kToken}, {"ADMIN", kToken + "x"}});
  ASSERT_TRUE(result.config) << ::testing::PrintToString(Messages(result));
  const auto& api = result.config->api;
  ASSERT_EQ(api.tokens.size(), 2u);
  EXPECT_EQ(api.tokens[0].token, kToken);
  EXPECT_EQ(api.tokens[1].role, TokenRole::kAdmin);
  EXPECT_EQ(api.metrics, MetricsAccess::kToken);
  EXPECT_EQ(api.max_connections, 10u);
  EXPECT_EQ(api.max_body, 64u << 10);
  EXPECT_EQ(api.read_timeout, std::chrono::seconds(5));
  EXPECT_EQ(api.max_page_size, 50u);
  EXPECT_EQ(api.stream_buffer, 7u);
  EXPECT_EQ(api.max_wait, std::chrono::seconds(10));
  EXPECT_EQ(api.io_threads, 3);
  EXPECT_EQ(api.handler_threads, 5);
}

TEST(ApiConfigTest, ErrorsNameThePathAndNeverQuoteSecrets) {
  auto result = Parse(WithSource(R"("api": {"tokens": [{"token": "short", "role": "read"},
      {"token": "0123456789abcdef0123", "role": "owner"}, {"role": "admin"}],
      "max_page_size": 10, "default_page_size": 20, "metric": "off"})"));
  ASSERT_FALSE(result.config);
  const std::string all = ::testing::PrintToString(Messages(result));
  EXPECT_THAT(all, HasSubstr("api.tokens[0].token: tokens must be at least 16 characters"));
  EXPECT_THAT(all, HasSubstr("api.tokens[1].role"));
  EXPECT_THAT(all, HasSubstr("api.tokens[2]"));
  EXPECT_THAT(all, HasSubstr("api.default_page_size: must not be greater than max_page_size"));
  EXPECT_THAT(all, HasSubstr("did you mean \\\"metrics\\\""));
  EXPECT_EQ(all.find("short"), std::string::npos) << all;
}

TEST(ApiConfigTest, MetricsByTokenNeedsTokens) {
  auto result = Parse(WithSource(R"("api": {"metrics": "token"})"));
  ASSERT_FALSE(result.config);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].path, "api.metrics");
  EXPECT_THAT(result.errors[0].message, HasSubstr("needs api.tokens"));
}

TEST(ApiConfigTest, WebhooksAreCheckedAgainstViewsAndSources) {
  auto ok = Parse(WithSource(R"("webhooks": [{"id": "w", "url": "https://example.com/hook",
      "secret": "${SECRET}", "sources": ["s"], "batch": 10, "min_backoff": "100ms",
      "max_backoff": "2s", "headers": {"X-Team": "data"}}])"),
                  {{"SECRET", "webhook-secret-0123"}});
  ASSERT_TRUE(ok.config) << ::testing::PrintToString(Messages(ok));
  ASSERT_EQ(ok.config->webhooks.size(), 1u);
  const auto& w = ok.config->webhooks[0];
  EXPECT_EQ(w.secret, "webhook-secret-0123");
  EXPECT_EQ(w.sources, std::vector<std::string>{"s"});
  EXPECT_EQ(w.batch, 10u);
  EXPECT_EQ(w.min_backoff, std::chrono::milliseconds(100));

  auto refs = Parse(WithSource(R"("webhooks": [{"id": "w", "url": "https://example.com/hook",
      "secret": "secret-0123456789", "sources": ["t"], "views": ["nope"]},
      {"id": "w", "url": "https://example.com/", "secret": "secret-0123456789"}])"));
  ASSERT_FALSE(refs.config);
  std::string all = ::testing::PrintToString(Messages(refs));
  EXPECT_THAT(all, HasSubstr("webhooks[0].sources: unknown source \\\"t\\\""));
  EXPECT_THAT(all, HasSubstr("webhooks[0].views: unknown view \\\"nope\\\""));
  EXPECT_THAT(all, HasSubstr("webhooks[1].id: duplicate webhook id"));

  auto bad = Parse(WithSource(R"("webhooks": [{"id": "w", "url": "https://example.com/hook",
      "secret": "secret-0123456789", "min_backoff": "1m", "max_backoff": "1s"},
      {"id": "u", "url": "https://example.com/", "secret": "x"},
      {"id": "v", "url": "https://example.com/"}])"));
  ASSERT_FALSE(bad.config);
  all = ::testing::PrintToString(Messages(bad));
  EXPECT_THAT(all, HasSubstr("webhooks[0].min_backoff: must not be greater than max_backoff"));
  EXPECT_THAT(all, HasSubstr("webhooks[1].secret: the signing secret must be at least 16"));
  EXPECT_THAT(all, HasSubstr("webhooks[2]: missing required key"));
  EXPECT_EQ(all.find("secret-0123456789"), std::string::npos) << all;
}

}  // namespace
}  // namespace tributary::config
