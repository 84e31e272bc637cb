// Server hints and the per-source fetch state the API explains.
#include "service/scheduler/fetch_state.hpp"

#include <gtest/gtest.h>

namespace tributary::service::scheduler {
namespace {

using std::chrono::milliseconds;

fetchers::FetchResult With(fetchers::Headers headers, std::string body = "") {
  fetchers::FetchResult r;
  r.status = 200;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

TEST(ServerHint, CacheControlExpiresAndRssTtl) {
  EXPECT_EQ(ServerHint(With({{"cache-control", "public, max-age=600"}})), milliseconds(600000));
  EXPECT_EQ(ServerHint(With({{"cache-control", "no-cache, max-age=600"}})), std::nullopt);
  EXPECT_EQ(ServerHint(With({{"cache-control", "s-maxage=600"}})), std::nullopt);
  EXPECT_EQ(ServerHint(With({{"date", "Sun, 06 Nov 1994 08:49:37 GMT"},
                             {"expires", "Sun, 06 Nov 1994 09:49:37 GMT"}})),
            milliseconds(3600000));
  EXPECT_EQ(ServerHint(With({}, "<rss><channel><title>x</title><ttl> 90 </ttl></channel></rss>")),
            milliseconds(90 * 60000));
  EXPECT_EQ(ServerHint(With({})), std::nullopt);
}

TEST(FetchStateRegistry, CountsAndExplains) {
  FetchStateRegistry registry;
  fetchers::FetchResult ok = With({{"cache-control", "max-age=60"}});
  ok.bytes = 100;
  ok.group = "host:example.com";
  ok.robots = fetchers::RobotsVerdict::kAllowed;
  registry.Record("s", ok, FetchStateRegistry::Use::kExtracted);
  fetchers::FetchResult not_modified = ok;
  not_modified.status = 304;
  registry.Record("s", not_modified, FetchStateRegistry::Use::kNotModified, 100);
  fetchers::FetchResult limited = ok;
  limited.status = 429;
  limited.error = Error::Retryable("HTTP 429 Too Many Requests");
  limited.retry_after = FromUnixMillis(1'900'000'000'000);
  limited.url = "http://example.com/old";
  limited.final_url = "https://example.com/new";
  registry.Record("s", limited, FetchStateRegistry::Use::kFailed);

  const Completion c = registry.CompletionOf("s");
  EXPECT_TRUE(c.failed);
  EXPECT_EQ(c.retry_after, limited.retry_after);
  EXPECT_EQ(registry.GroupOf("s"), "host:example.com");

  SourceSchedule schedule{"s", *limited.retry_after, "retry-after", false, 1};
  fetchers::GroupState group;
  group.key = "host:example.com";
  group.concurrency = 2;
  const auto j = registry.Json("s", schedule, group);
  EXPECT_EQ(j["next_due_reason"], "retry-after");
  EXPECT_EQ(j["last"]["http_status"], 429);
  EXPECT_EQ(j["last"]["error_class"], "retryable");
  EXPECT_EQ(j["last"]["final_url"], "https://example.com/new");  // where the redirects led
  EXPECT_EQ(j["counts"]["fetches"], 3);
  EXPECT_EQ(j["counts"]["not_modified"], 1);
  EXPECT_EQ(j["counts"]["bytes_saved"], 100);
  EXPECT_DOUBLE_EQ(j["counts"]["not_modified_ratio"].get<double>(), 1.0 / 3.0);
  EXPECT_EQ(j["robots"], "allowed");
  EXPECT_EQ(j["group"]["concurrency"], 2);
  EXPECT_EQ(j["retry_after"], FormatRfc3339(*limited.retry_after));
}

}  // namespace
}  // namespace tributary::service::scheduler
