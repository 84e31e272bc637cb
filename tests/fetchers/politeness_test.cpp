// Politeness, retries, Retry-After, the circuit breaker and robots.txt against loopback origins.
// Timing is read from the origins' own request logs (arrival times) with tolerances.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "fetchers/fetcher.hpp"
#include "fetchers/retry_timing.hpp"
#include "tests/fetchers/fetch_test_util.hpp"
#include "tests/support/origin.hpp"
#include "tests/support/request_log.hpp"

namespace tributary::fetchers {
namespace {

using std::chrono::milliseconds;
using test_support::Response;
using test_support::TestOrigin;

// Scheduling noise on a loaded two-core machine (and under sanitizers).
constexpr milliseconds kTolerance{60};

// Submits every request at once; waits for all results (in submission order).
std::vector<FetchResult> FetchAll(Fetcher& fetcher, std::vector<FetchRequest> requests,
                                  std::chrono::seconds wait = std::chrono::seconds(30)) {
  std::vector<std::future<FetchResult>> futures;
  for (auto& request : requests) {
    auto promise = std::make_shared<std::promise<FetchResult>>();
    futures.push_back(promise->get_future());
    fetcher.Fetch(std::move(request),
                  [promise](FetchResult r) { promise->set_value(std::move(r)); });
  }
  std::vector<FetchResult> out;
  for (auto& f : futures) {
    if (f.wait_for(wait) != std::future_status::ready) {
      ADD_FAILURE() << "a fetch did not complete";
      out.emplace_back();
      continue;
    }
    out.push_back(f.get());
  }
  return out;
}

FetchRequest Polite(const std::string& url) {
  FetchRequest r = LoopbackRequest(url);
  r.group.concurrency = 4;
  return r;
}

TEST(Politeness, SpacingSeparatesRequestStartsInAGroup) {
  TestOrigin origin;
  origin.Route("/page", {200, {}, "ok"});
  Fetcher fetcher(FetcherOptions{2});
  std::vector<FetchRequest> requests;
  for (int i = 0; i < 6; ++i) {
    FetchRequest r = Polite(origin.Url("/page?n=" + std::to_string(i)));
    r.group.spacing = milliseconds(200);
    requests.push_back(r);
  }
  for (const auto& r : FetchAll(fetcher, requests)) EXPECT_FALSE(r.error);
  const auto log = origin.Requests();
  ASSERT_EQ(log.size(), 6u);
  EXPECT_GE(test_support::MinGap(log), milliseconds(200) - kTolerance);
  EXPECT_GE(test_support::Between(log.front(), log.back()), milliseconds(1000) - kTolerance);
}

TEST(Politeness, ConcurrencyPerGroupHolds) {
  TestOrigin origin;
  Response slow{200, {}, "ok"};
  slow.delay = milliseconds(150);
  origin.Route("/slow", slow);
  Fetcher fetcher(FetcherOptions{2});
  std::vector<FetchRequest> requests;
  for (int i = 0; i < 8; ++i) {
    FetchRequest r = Polite(origin.Url("/slow"));
    r.group.concurrency = 2;
    requests.push_back(r);
  }
  for (const auto& r : FetchAll(fetcher, requests)) EXPECT_FALSE(r.error);
  EXPECT_EQ(test_support::MaxConcurrency(origin.Requests()), 2u);
}

TEST(Politeness, ANamedGroupSpansHosts) {
  TestOrigin a(0, "127.0.0.2");
  TestOrigin b(0, "127.0.0.3");
  Response slow{200, {}, "ok"};
  slow.delay = milliseconds(50);
  a.Route("/x", slow);
  b.Route("/x", slow);
  Fetcher fetcher(FetcherOptions{2});
  std::vector<FetchRequest> requests;
  for (int i = 0; i < 8; ++i) {
    FetchRequest r = Polite((i % 2 == 0 ? a : b).Url("/x"));
    r.group.name = "shop";
    r.group.concurrency = 1;
    r.group.spacing = milliseconds(120);
    requests.push_back(r);
  }
  const auto results = FetchAll(fetcher, requests);
  for (const auto& r : results) {
    EXPECT_FALSE(r.error);
    EXPECT_EQ(r.group, "group:shop");
  }
  const auto log = test_support::Merged({a.Requests(), b.Requests()});
  ASSERT_EQ(log.size(), 8u);
  EXPECT_EQ(test_support::MaxConcurrency(log), 1u);
  EXPECT_GE(test_support::MinGap(log), milliseconds(120) - kTolerance);
  const auto state = fetcher.GroupStateOf("group:shop");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->requests, 8u);
  EXPECT_EQ(state->concurrency, 1);
}

TEST(Politeness, TokenBucketLimitsTheRateAfterABurst) {
  TestOrigin origin;
  origin.Route("/t", {200, {}, "ok"});
  Fetcher fetcher(FetcherOptions{1});
  std::vector<FetchRequest> requests;
  for (int i = 0; i < 6; ++i) {
    FetchRequest r = Polite(origin.Url("/t"));
    r.group.rate = 5;  // one every 200 ms
    r.group.burst = 2;
    requests.push_back(r);
  }
  for (const auto& r : FetchAll(fetcher, requests)) EXPECT_FALSE(r.error);
  const auto log = origin.Requests();
  ASSERT_EQ(log.size(), 6u);
  // Two at once (the burst), then one per 200 ms: the sixth at >= 800 ms.
  EXPECT_LT(test_support::Between(log[0], log[1]), milliseconds(150));
  EXPECT_GE(test_support::Between(log[0], log[5]), milliseconds(800) - kTolerance);
  for (size_t i = 2; i < log.size(); ++i) {
    EXPECT_GE(test_support::Between(log[i - 1], log[i]), milliseconds(200) - kTolerance) << i;
  }
}

TEST(Politeness, GroupByDomainSharesOneGroupAcrossSubdomains) {
  TestOrigin origin;
  Response slow{200, {}, "ok"};
  slow.delay = milliseconds(50);
  origin.Route("/d", slow);
  Fetcher fetcher(FetcherOptions{2});
  std::vector<FetchRequest> requests;
  for (int i = 0; i < 6; ++i) {
    const std::string host = i % 2 == 0 ? "alice.blogs.test" : "bob.blogs.test";
    FetchRequest r = Polite("http://" + host + ":" + std::to_string(origin.port()) + "/d");
    r.group.by = GroupBy::kDomain;
    r.group.concurrency = 1;
    r.pinned_address = "127.0.0.1";  // both names lead to the loopback origin
    requests.push_back(r);
  }
  for (const auto& r : FetchAll(fetcher, requests)) {
    EXPECT_FALSE(r.error) << (r.error ? r.error->message : "");
    EXPECT_EQ(r.group, "domain:blogs.test");
  }
  const auto log = origin.Requests();
  ASSERT_EQ(log.size(), 6u);
  EXPECT_EQ(test_support::MaxConcurrency(log), 1u);
  EXPECT_NE(log[0].Header("host"), log[1].Header("host"));
}

TEST(Politeness, GroupByIpResolvesNamesToTheirAddress) {
  TestOrigin origin;
  origin.Route("/ip", {200, {}, "ok"});
  Fetcher fetcher(FetcherOptions{2});
  FetchRequest by_name = Polite("http://localhost:" + std::to_string(origin.port()) + "/ip");
  by_name.group.by = GroupBy::kIp;
  FetchRequest by_address = Polite(origin.Url("/ip"));
  by_address.group.by = GroupBy::kIp;
  const auto results = FetchAll(fetcher, {by_name, by_address});
  for (const auto& r : results) {
    ASSERT_FALSE(r.error) << r.error->message;
    EXPECT_EQ(r.group, "ip:127.0.0.1");
  }
  EXPECT_EQ(fetcher.GroupStateOf("ip:127.0.0.1")->requests, 2u);
}

TEST(Retries, RetryableFailuresAreRetriedWithBoundedFullJitterBackoff) {
  TestOrigin origin;
  origin.RouteSequence("/flaky", {{503, {}, "busy"}, {500, {}, "oops"}, {200, {}, "fine"}});
  Fetcher fetcher(FetcherOptions{1});
  FetchRequest r = Polite(origin.Url("/flaky"));
  r.retry.attempts = 3;
  r.retry.base = milliseconds(200);
  r.retry.cap = milliseconds(1000);
  const FetchResult result = FetchSync(fetcher, r);
  ASSERT_FALSE(result.error) << result.error->message;
  EXPECT_EQ(result.attempts, 3);
  EXPECT_EQ(result.body, "fine");
  const auto log = origin.Requests();
  ASSERT_EQ(log.size(), 3u);
  // Full jitter: retry n waits uniform(0, min(cap, base * 2^(n-1))).
  EXPECT_LE(test_support::Between(log[0], log[1]), milliseconds(200) + kTolerance);
  EXPECT_LE(test_support::Between(log[1], log[2]), milliseconds(400) + kTolerance);
}

TEST(Retries, RetriesWaitInsteadOfHammering) {
  // The bug this guards against (Scrapy's): retrying at once. Ten retries, each waiting
  // uniform(0, 100 ms): their sum is below 150 ms with a probability of about 2e-5, and at
  // most 1 s.
  TestOrigin origin;
  std::vector<Response> answers(10, Response{503, {}, "busy"});
  answers.push_back({200, {}, "fine"});
  origin.RouteSequence("/busy", answers);
  Fetcher fetcher(FetcherOptions{1});
  FetchRequest r = Polite(origin.Url("/busy"));
  r.retry.attempts = 11;
  r.retry.base = milliseconds(100);
  r.retry.cap = milliseconds(100);
  r.retry.budget_reserve = 10;
  r.retry.circuit_failures = 100;
  const FetchResult result = FetchSync(fetcher, r);
  ASSERT_FALSE(result.error) << result.error->message;
  EXPECT_EQ(result.attempts, 11);
  const auto log = origin.Requests();
  ASSERT_EQ(log.size(), 11u);
  const auto waited = test_support::Between(log.front(), log.back());
  EXPECT_GE(waited, milliseconds(150)) << "retries were not spread out";
  EXPECT_LE(waited, milliseconds(1000) + kTolerance);
}

TEST(Retries, PermanentFailuresAndExhaustedAttemptsStop) {
  TestOrigin origin;
  origin.Route("/missing", {404, {}, "no"});
  origin.Route("/down", {503, {}, "down"});
  Fetcher fetcher(FetcherOptions{1});
  FetchRequest missing = Polite(origin.Url("/missing"));
  missing.retry.attempts = 3;
  missing.retry.base = milliseconds(10);
  const FetchResult a = FetchSync(fetcher, missing);
  EXPECT_EQ(a.attempts, 1);
  EXPECT_EQ(origin.Hits("/missing"), 1u);
  FetchRequest down = Polite(origin.Url("/down"));
  down.retry.attempts = 3;
  down.retry.base = milliseconds(10);
  const FetchResult b = FetchSync(fetcher, down);
  ASSERT_TRUE(b.error);
  EXPECT_EQ(b.attempts, 3);
  EXPECT_EQ(b.status, 503);
  EXPECT_EQ(origin.Hits("/down"), 3u);
}

TEST(Retries, TheRetryBudgetStopsARetryStorm) {
  TestOrigin origin;
  origin.Route("/down", {503, {}, "down"});
  Fetcher fetcher(FetcherOptions{1});
  std::vector<FetchRequest> requests;
  for (int i = 0; i < 4; ++i) {
    FetchRequest r = Polite(origin.Url("/down"));
    r.retry.attempts = 3;
    r.retry.base = milliseconds(10);
    r.retry.budget_ratio = 0;  // nothing earned: only the reserve
    r.retry.budget_reserve = 2;
    requests.push_back(r);
  }
  FetchAll(fetcher, requests);
  // 4 first attempts and the 2 retries of the reserve; without a budget it would be 12.
  EXPECT_EQ(origin.Hits("/down"), 6u);
  const auto state = fetcher.GroupStateOf("host:127.0.0.1");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->retries, 2u);
  EXPECT_GE(state->retries_denied, 1u);
}

TEST(RetryAfter, SecondsPauseOnlyTheGroupThatGotThem) {
  TestOrigin limited(0, "127.0.0.4");
  TestOrigin other(0, "127.0.0.5");
  limited.RouteSequence("/feed",
                        {{429, {{"Retry-After", "2"}}, "slow down"}, {200, {}, "limited ok"}});
  limited.Route("/other-page", {200, {}, "also limited"});
  other.Route("/feed", {200, {}, "other ok"});
  Fetcher fetcher(FetcherOptions{2});

  FetchRequest first = Polite(limited.Url("/feed"));
  first.retry.attempts = 2;
  first.retry.cap = milliseconds(5000);
  auto promise = std::make_shared<std::promise<FetchResult>>();
  auto retried = promise->get_future();
  fetcher.Fetch(first, [promise](FetchResult r) { promise->set_value(std::move(r)); });
  ASSERT_TRUE(limited.WaitForHits("/feed", 1));
  // The origin logs the request before answering it: the pause begins once the fetcher has
  // read the 429 (on a loaded machine, some milliseconds later).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    const auto state = fetcher.GroupStateOf("host:127.0.0.4");
    if (state && state->paused_until) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the 429 never paused the group";
    std::this_thread::sleep_for(milliseconds(1));
  }
  // While the limited group pauses: another request of it waits, the other group does not.
  const auto during = FetchAll(fetcher, {Polite(other.Url("/feed")), Polite(other.Url("/feed"))});
  for (const auto& r : during) EXPECT_FALSE(r.error);
  auto same_group = std::make_shared<std::promise<FetchResult>>();
  auto same = same_group->get_future();
  fetcher.Fetch(Polite(limited.Url("/other-page")),
                [same_group](FetchResult r) { same_group->set_value(std::move(r)); });

  ASSERT_EQ(retried.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  const FetchResult result = retried.get();
  ASSERT_FALSE(result.error) << result.error->message;
  EXPECT_EQ(result.attempts, 2);
  ASSERT_EQ(same.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_FALSE(same.get().error);

  const auto log = limited.Requests();
  ASSERT_EQ(log.size(), 3u);
  const auto first_429 = log[0];
  for (size_t i = 1; i < log.size(); ++i) {
    EXPECT_GE(test_support::Between(first_429, log[i]), milliseconds(2000) - kTolerance)
        << log[i].path;
  }
  // The other host was served during the pause, well before it ended.
  for (const auto& r : other.Requests()) {
    EXPECT_LT(test_support::Between(first_429, r), milliseconds(1500));
  }
  const auto state = fetcher.GroupStateOf("host:127.0.0.4");
  ASSERT_TRUE(state);
}

TEST(RetryAfter, HttpDateIsHonouredAndALongWaitEndsTheFetch) {
  TestOrigin origin;
  const auto in_two = std::chrono::system_clock::now() + std::chrono::seconds(3);
  origin.RouteSequence("/date", {{503, {{"Retry-After", FormatHttpDate(in_two)}}, "maintenance"},
                                 {200, {}, "back"}});
  origin.Route("/long", {429, {{"Retry-After", "3600"}}, "come back in an hour"});
  Fetcher fetcher(FetcherOptions{1});
  FetchRequest r = Polite(origin.Url("/date"));
  r.retry.attempts = 2;
  r.retry.cap = milliseconds(10000);
  const FetchResult dated = FetchSync(fetcher, r);
  ASSERT_FALSE(dated.error) << dated.error->message;
  const auto log = test_support::ForPath(origin.Requests(), "/date");
  ASSERT_EQ(log.size(), 2u);
  // The date has second resolution: at least two seconds (minus rounding) later.
  EXPECT_GE(test_support::Between(log[0], log[1]), milliseconds(2000) - kTolerance);

  // A wait beyond the backoff cap is not spent inside the fetch: it ends, telling when to return.
  FetchRequest long_wait = Polite(origin.Url("/long"));
  long_wait.retry.attempts = 3;
  long_wait.retry.cap = milliseconds(1000);
  long_wait.retry.max_retry_after = std::chrono::minutes(10);
  const auto before = std::chrono::system_clock::now();
  const FetchResult ended = FetchSync(fetcher, long_wait);
  ASSERT_TRUE(ended.error);
  EXPECT_EQ(ended.attempts, 1);
  ASSERT_TRUE(ended.retry_after);
  // Capped at max_retry_after.
  EXPECT_LE(*ended.retry_after, before + std::chrono::minutes(10) + std::chrono::seconds(5));
  EXPECT_GE(*ended.retry_after, before + std::chrono::minutes(10) - std::chrono::seconds(5));
}

TEST(CircuitBreaker, OpensAfterConsecutiveFailuresAndAProbeClosesIt) {
  TestOrigin origin;
  origin.Route("/svc", {503, {}, "down"});
  Fetcher fetcher(FetcherOptions{1});
  FetchRequest r = Polite(origin.Url("/svc"));
  r.retry.attempts = 1;
  r.retry.circuit_failures = 2;
  r.retry.circuit_cooldown = milliseconds(3000);  // longer than any scheduling hiccup
  FetchSync(fetcher, r);
  const FetchResult second = FetchSync(fetcher, r);
  ASSERT_TRUE(second.circuit_open_until);
  // Open: refused at once, nothing sent.
  const FetchResult refused = FetchSync(fetcher, r);
  ASSERT_TRUE(refused.error);
  EXPECT_TRUE(refused.not_sent);
  EXPECT_NE(refused.error->message.find("circuit open"), std::string::npos);
  EXPECT_EQ(origin.Hits("/svc"), 2u);
  EXPECT_EQ(fetcher.GroupStateOf("host:127.0.0.1")->circuit, "open");

  // The behaviour under test is the cooldown itself: wait it out, then one probe decides.
  std::this_thread::sleep_until(*second.circuit_open_until + milliseconds(20));
  origin.Route("/svc", {200, {}, "up"});
  const FetchResult probe = FetchSync(fetcher, r);
  ASSERT_FALSE(probe.error) << probe.error->message;
  EXPECT_EQ(fetcher.GroupStateOf("host:127.0.0.1")->circuit, "closed");
  EXPECT_FALSE(FetchSync(fetcher, r).error);
  EXPECT_EQ(origin.Hits("/svc"), 4u);
}

TEST(Robots, DisallowedSourcesReportTheVerdictWithoutFetching) {
  TestOrigin origin;
  origin.Route("/robots.txt",
               {200, {{"Content-Type", "text/plain"}}, "User-agent: *\nDisallow: /private\n"});
  origin.Route("/private/data", {200, {}, "secret"});
  origin.Route("/public", {200, {}, "hello"});
  Fetcher fetcher(FetcherOptions{2});
  std::vector<FetchRequest> requests;
  for (int i = 0; i < 5; ++i) {
    FetchRequest r = Polite(origin.Url(i % 2 == 0 ? "/public" : "/private/data"));
    r.obey_robots = true;
    requests.push_back(r);
  }
  const auto results = FetchAll(fetcher, requests);
  for (size_t i = 0; i < results.size(); ++i) {
    if (i % 2 == 0) {
      EXPECT_FALSE(results[i].error);
      EXPECT_EQ(results[i].robots, RobotsVerdict::kAllowed);
    } else {
      ASSERT_TRUE(results[i].error);
      EXPECT_TRUE(results[i].not_sent);
      EXPECT_EQ(results[i].robots, RobotsVerdict::kDisallowed);
      EXPECT_NE(results[i].error->message.find("Disallow: /private"), std::string::npos);
    }
  }
  EXPECT_EQ(origin.Hits("/robots.txt"), 1u);  // once per origin, then cached
  EXPECT_EQ(origin.Hits("/private/data"), 0u);
  EXPECT_EQ(origin.Hits("/public"), 3u);
  // The robots.txt request went first, through the same group.
  EXPECT_EQ(origin.Requests().front().path, "/robots.txt");
}

TEST(Robots, MissingRobotsAllowsAndUnreachableDisallows) {
  TestOrigin a(0, "127.0.0.6");
  TestOrigin b(0, "127.0.0.7");
  a.Route("/x", {200, {}, "ok"});
  b.Route("/robots.txt", {500, {}, "broken"});
  b.Route("/x", {200, {}, "ok"});
  Fetcher fetcher(FetcherOptions{2});
  FetchRequest ra = Polite(a.Url("/x"));
  ra.obey_robots = true;
  FetchRequest rb = Polite(b.Url("/x"));
  rb.obey_robots = true;
  EXPECT_FALSE(FetchSync(fetcher, ra).error);  // 404 robots.txt: everything allowed
  const FetchResult denied = FetchSync(fetcher, rb);
  ASSERT_TRUE(denied.error);
  EXPECT_EQ(denied.robots, RobotsVerdict::kDisallowed);
  EXPECT_EQ(b.Hits("/x"), 0u);
  // Ignoring robots fetches anyway.
  rb.obey_robots = false;
  const FetchResult ignored = FetchSync(fetcher, rb);
  EXPECT_FALSE(ignored.error);
  EXPECT_EQ(ignored.robots, RobotsVerdict::kNotChecked);
}

}  // namespace
}  // namespace tributary::fetchers
