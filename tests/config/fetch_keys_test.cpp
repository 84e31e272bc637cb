// The fetch engine's configuration keys (issue 3): named politeness groups, the policy under
// "fetch" (default group, retries, circuit breaker, robots, limits, proxy, hints, start-up
// spread) and each source's fetch and schedule keys, with exact error paths.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/fetch_definitions.hpp"
#include "config/loader.hpp"
#include "tests/config/test_util.hpp"

namespace tributary::config {
namespace {

using std::chrono::milliseconds;
using test_util::Messages;
using test_util::Parse;
using test_util::WithSource;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// One source "s" with extra members (without braces), e.g. R"("group": "shop")", plus extra
// top-level members.
std::string OneSource(const std::string& members, const std::string& top = "") {
  std::string text = R"({"sources": [{"id": "s", "url": "http://example.com/", "key": "title",
      "fields": {"title": "h3"})";
  if (!members.empty()) text += ", " + members;
  text += "}]";
  if (!top.empty()) text += ", " + top;
  return text + "}";
}

TEST(ConfigFetchKeys, DefaultsWithoutAnyKey) {
  const auto result = Parse(WithSource(""));
  ASSERT_THAT(Messages(result), IsEmpty());
  const FetchPolicy& p = result.config->fetch.policy;
  EXPECT_EQ(p.default_group_by, GroupBy::kHost);
  EXPECT_EQ(p.default_group.concurrency, 4);
  EXPECT_EQ(p.default_group.spacing, milliseconds(0));
  EXPECT_EQ(p.retry.attempts, 3);
  EXPECT_EQ(p.retry.circuit_failures, 5);
  EXPECT_EQ(p.robots_ttl, std::chrono::hours(24));
  EXPECT_TRUE(p.hints);
  EXPECT_EQ(p.startup_spread, milliseconds(3000));
  EXPECT_TRUE(result.config->groups.empty());
  const SourceFetch& f = result.config->sources[0].fetch;
  EXPECT_EQ(f.robots, RobotsMode::kDefault);
  EXPECT_TRUE(f.group.empty());
  EXPECT_TRUE(f.tls_verify);
}

TEST(ConfigFetchKeys, NamedGroupsAndTheDefaultGroup) {
  const auto result = Parse(OneSource(
      R"("group": "shop")",
      R"("groups": {"shop": {"concurrency": 2, "spacing": "300ms", "rate": "5/s", "burst": 2},
                    "gentle": {"rate": "30/m"}},
         "fetch": {"default_group": {"by": "domain", "concurrency": 8, "spacing": "1s"}})"));
  ASSERT_THAT(Messages(result), IsEmpty());
  const auto& groups = result.config->groups;
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups.at("shop").concurrency, 2);
  EXPECT_EQ(groups.at("shop").spacing, milliseconds(300));
  EXPECT_DOUBLE_EQ(groups.at("shop").rate, 5.0);
  EXPECT_DOUBLE_EQ(groups.at("shop").burst, 2.0);
  EXPECT_EQ(groups.at("gentle").concurrency, 1) << "a named group defaults to one at a time";
  EXPECT_DOUBLE_EQ(groups.at("gentle").rate, 0.5);
  const FetchPolicy& p = result.config->fetch.policy;
  EXPECT_EQ(p.default_group_by, GroupBy::kDomain);
  EXPECT_EQ(p.default_group.concurrency, 8);
  EXPECT_EQ(p.default_group.spacing, milliseconds(1000));
  EXPECT_EQ(result.config->sources[0].fetch.group, "shop");
}

TEST(ConfigFetchKeys, ASourceMayGroupByDomainOrIp) {
  const auto result = Parse(OneSource(R"("group": {"by": "ip"})"));
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.config->sources[0].fetch.group_by, GroupBy::kIp);
  EXPECT_THAT(Messages(Parse(OneSource(R"("group": {"by": "hostname"})"))),
              ElementsAre(HasSubstr("sources[0].group.by: ")));
}

TEST(ConfigFetchKeys, GroupErrorsSayWhere) {
  EXPECT_THAT(Messages(Parse(OneSource(R"("group": "shpo")", R"("groups": {"shop": {}})"))),
              ElementsAre("sources[0].group: unknown group \"shpo\"; did you mean \"shop\"?"));
  EXPECT_THAT(Messages(Parse(WithSource(R"("groups": {"shop": {"rate": "5 per second"}})"))),
              ElementsAre("groups.shop.rate: invalid rate \"5 per second\"; expected e.g. "
                          "\"5/s\", \"30/m\" or \"100/h\""));
  EXPECT_THAT(Messages(Parse(WithSource(R"("groups": {"shop": {"concurency": 1}})"))),
              ElementsAre(HasSubstr("groups.shop.concurency: unknown key \"concurency\"; did you "
                                    "mean \"concurrency\"?")));
  EXPECT_THAT(Messages(Parse(WithSource(R"("groups": {"shop": {"concurrency": 0}})"))),
              ElementsAre(HasSubstr("groups.shop.concurrency: ")));
  EXPECT_THAT(Messages(Parse(WithSource(R"("groups": {"a b": {}})"))),
              ElementsAre(HasSubstr("invalid group name")));
  EXPECT_THAT(Messages(Parse(WithSource(R"("fetch": {"default_group": {"by": "path"}})"))),
              ElementsAre(HasSubstr("fetch.default_group.by: ")));
}

TEST(ConfigFetchKeys, RatesInEveryUnit) {
  EXPECT_DOUBLE_EQ(*ParseRate("5/s"), 5.0);
  EXPECT_DOUBLE_EQ(*ParseRate("30/m"), 0.5);
  EXPECT_DOUBLE_EQ(*ParseRate("360/h"), 0.1);
  EXPECT_DOUBLE_EQ(*ParseRate("0.5/s"), 0.5);
  for (const char* bad : {"5", "/s", "5/d", "-1/s", "0/s", "x/s", "5/", "1e3/s"}) {
    EXPECT_FALSE(ParseRate(bad).has_value()) << bad;
  }
}

TEST(ConfigFetchKeys, RetryCircuitRobotsLimitsHintsAndSpread) {
  const auto result = Parse(WithSource(R"("fetch": {
      "retry": {"attempts": 5, "base": "200ms", "cap": "10s", "max_retry_after": "10m",
                "budget": 0.5, "budget_reserve": 7},
      "circuit": {"failures": 3, "cooldown": "30s"},
      "robots": {"ttl": "1h"},
      "low_speed_limit": "1KiB", "low_speed_time": "20s", "max_decompressed": "8MiB",
      "max_compression_ratio": 50, "max_header_size": "32KiB",
      "ca_file": "/etc/ssl/extra.pem", "proxy": "http://proxy:3128",
      "hints": {"use": false, "max": "2h"}, "startup_spread": "10s"})"));
  ASSERT_THAT(Messages(result), IsEmpty());
  const FetchPolicy& p = result.config->fetch.policy;
  EXPECT_EQ(p.retry.attempts, 5);
  EXPECT_EQ(p.retry.base, milliseconds(200));
  EXPECT_EQ(p.retry.cap, milliseconds(10000));
  EXPECT_EQ(p.retry.max_retry_after, std::chrono::minutes(10));
  EXPECT_DOUBLE_EQ(p.retry.budget, 0.5);
  EXPECT_DOUBLE_EQ(p.retry.budget_reserve, 7);
  EXPECT_EQ(p.retry.circuit_failures, 3);
  EXPECT_EQ(p.retry.circuit_cooldown, std::chrono::seconds(30));
  EXPECT_EQ(p.robots_ttl, std::chrono::hours(1));
  EXPECT_EQ(p.low_speed_limit, 1024u);
  EXPECT_EQ(p.low_speed_time, std::chrono::seconds(20));
  EXPECT_EQ(p.max_decompressed, 8u << 20);
  EXPECT_DOUBLE_EQ(p.max_compression_ratio, 50);
  EXPECT_EQ(p.max_header_size, 32u << 10);
  EXPECT_EQ(p.ca_file, "/etc/ssl/extra.pem");
  EXPECT_EQ(p.proxy, "http://proxy:3128");
  EXPECT_FALSE(p.hints);
  EXPECT_EQ(p.hints_max, std::chrono::hours(2));
  EXPECT_EQ(p.startup_spread, std::chrono::seconds(10));
}

TEST(ConfigFetchKeys, PolicyErrorsSayWhere) {
  EXPECT_THAT(Messages(Parse(WithSource(R"("fetch": {"retry": {"attempts": 0}})"))),
              ElementsAre(HasSubstr("fetch.retry.attempts: ")));
  EXPECT_THAT(Messages(Parse(WithSource(R"("fetch": {"retry": {"atempts": 2}})"))),
              ElementsAre(HasSubstr("fetch.retry.atempts: unknown key \"atempts\"; did you mean "
                                    "\"attempts\"?")));
  EXPECT_THAT(Messages(Parse(WithSource(R"("fetch": {"circuit": {"failures": "many"}})"))),
              ElementsAre(HasSubstr("fetch.circuit.failures: ")));
  EXPECT_THAT(Messages(Parse(WithSource(R"("fetch": {"robots": {"ttl": "10ms"}})"))),
              ElementsAre(HasSubstr("fetch.robots.ttl: ")));
  EXPECT_THAT(Messages(Parse(WithSource(R"("fetch": {"proxy": "ftp://x"})"))),
              ElementsAre(HasSubstr("fetch.proxy: invalid proxy")));
  EXPECT_THAT(Messages(Parse(WithSource(R"("fetch": {"max_compression_ratio": 0.5})"))),
              ElementsAre(HasSubstr("fetch.max_compression_ratio: must be between")));
  EXPECT_THAT(Messages(Parse(WithSource(R"("fetch": {"max_header_size": "10"})"))),
              ElementsAre(HasSubstr("fetch.max_header_size: ")));
  EXPECT_THAT(Messages(Parse(WithSource(R"("fetch": {"startup_sprad": "1s"})"))),
              ElementsAre(HasSubstr("did you mean \"startup_spread\"?")));
}

TEST(ConfigFetchKeys, SourceFetchKeys) {
  const auto result = Parse(OneSource(R"("robots": "ignore", "retry": {"attempts": 1},
         "limits": {"connect_timeout": "2s", "low_speed_limit": "100", "low_speed_time": "5s",
                    "max_body": "1MiB", "max_decompressed": "4MiB",
                    "max_compression_ratio": 20, "max_header_size": "8KiB"},
         "auth": {"basic": {"user": "u", "password": "${PASSWORD}"}},
         "cookies": {"session": "abc", "lang": "en"}, "proxy": "direct",
         "tls": {"verify": false, "ca_file": "/ca.pem"}, "allow_private_networks": true,
         "hints": {"use": true, "max": "30m"})"));
  // ${PASSWORD} is absent from the fake environment: an error that names it, nothing else.
  EXPECT_THAT(Messages(result), ElementsAre(HasSubstr("PASSWORD")));
  const auto ok = ParseConfig(OneSource(R"("robots": "ignore", "retry": {"attempts": 1},
         "limits": {"connect_timeout": "2s", "low_speed_limit": "100", "low_speed_time": "5s",
                    "max_body": "1MiB", "max_decompressed": "4MiB",
                    "max_compression_ratio": 20, "max_header_size": "8KiB"},
         "auth": {"basic": {"user": "u", "password": "${PASSWORD}"}},
         "cookies": {"session": "abc", "lang": "en"}, "proxy": "direct",
         "tls": {"verify": false, "ca_file": "/ca.pem"}, "allow_private_networks": true,
         "hints": {"use": true, "max": "30m"})"),
                              test_util::FakeEnv({{"PASSWORD", "s3cret"}}));
  ASSERT_THAT(Messages(ok), IsEmpty());
  const SourceFetch& f = ok.config->sources[0].fetch;
  EXPECT_EQ(f.robots, RobotsMode::kIgnore);
  EXPECT_EQ(f.retry_attempts, 1);
  EXPECT_EQ(f.connect_timeout, milliseconds(2000));
  EXPECT_EQ(f.low_speed_limit, 100u);
  EXPECT_EQ(f.low_speed_time, milliseconds(5000));
  EXPECT_EQ(f.max_body, 1u << 20);
  EXPECT_EQ(f.max_decompressed, 4u << 20);
  EXPECT_EQ(f.max_compression_ratio, 20);
  EXPECT_EQ(f.max_header_size, 8u << 10);
  EXPECT_EQ(f.basic_user, "u");
  EXPECT_EQ(f.basic_password, "s3cret");
  EXPECT_EQ(f.cookies.size(), 2u);
  EXPECT_EQ(f.proxy, "direct");
  EXPECT_FALSE(f.tls_verify);
  EXPECT_EQ(f.ca_file, "/ca.pem");
  EXPECT_EQ(f.allow_private_networks, true);
  EXPECT_EQ(f.hints, true);
  EXPECT_EQ(f.hints_max, std::chrono::minutes(30));
}

TEST(ConfigFetchKeys, SourceFetchErrorsSayWhere) {
  EXPECT_THAT(Messages(Parse(OneSource(R"("robots": "maybe")"))),
              ElementsAre(HasSubstr("sources[0].robots: ")));
  EXPECT_THAT(Messages(Parse(OneSource(R"("auth": {"bearer": "t", "basic": {"user": "u"}})"))),
              ElementsAre("sources[0].auth: use either \"basic\" or \"bearer\", not both"));
  EXPECT_THAT(Messages(Parse(OneSource(R"("auth": {"basic": {"password": "p"}})"))),
              ElementsAre(HasSubstr("sources[0].auth.basic: ")));
  EXPECT_THAT(Messages(Parse(OneSource(R"("cookies": {"a": "b; c"})"))),
              ElementsAre(HasSubstr("sources[0].cookies.a: ")));
  EXPECT_THAT(Messages(Parse(OneSource(R"("limits": {"max_bdy": "1MiB"})"))),
              ElementsAre(HasSubstr("did you mean \"max_body\"?")));
  EXPECT_THAT(Messages(Parse(OneSource(R"("tls": {"verify": "no"})"))),
              ElementsAre(HasSubstr("sources[0].tls.verify: ")));
}

TEST(ConfigFetchKeys, CronTimeZoneAndJitter) {
  const auto result = Parse(OneSource(R"("cron": "*/15 9-17 * * 1-5", "timezone": "Europe/Paris",
                         "jitter": "30s")"));
  ASSERT_THAT(Messages(result), IsEmpty());
  const SourceFetch& f = result.config->sources[0].fetch;
  EXPECT_EQ(f.cron, "*/15 9-17 * * 1-5");
  EXPECT_EQ(f.timezone, "Europe/Paris");
  EXPECT_EQ(f.jitter, std::chrono::seconds(30));

  EXPECT_THAT(Messages(Parse(OneSource(R"("cron": "61 * * * *")"))),
              ElementsAre(HasSubstr("sources[0].cron: invalid cron expression \"61 * * * *\"")));
  EXPECT_THAT(Messages(Parse(OneSource(R"("cron": "0 * * * *", "timezone": "Mars/Olympus")"))),
              ElementsAre(HasSubstr("sources[0].timezone: unknown time zone \"Mars/Olympus\"")));
  EXPECT_THAT(Messages(Parse(OneSource(R"("every": "1h", "cron": "0 * * * *")"))),
              ElementsAre("sources[0].cron: use either \"every\" or \"cron\", not both"));
  EXPECT_THAT(Messages(Parse(OneSource(R"("timezone": "UTC")"))),
              ElementsAre("sources[0].timezone: a time zone applies to \"cron\" schedules only"));
  EXPECT_THAT(Messages(Parse(OneSource(R"("every": "1m", "jitter": "2m")"))),
              ElementsAre(HasSubstr("sources[0].jitter: must be shorter than \"every\"")));
}

}  // namespace
}  // namespace tributary::config
