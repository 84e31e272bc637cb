// What the fetch engine tells its observer (the daemon's metrics): retries, robots.txt denials
// and every circuit state change of a group, each before the fetch it belongs to completes.
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "fetchers/fetcher.hpp"
#include "tests/fetchers/fetch_test_util.hpp"
#include "tests/support/origin.hpp"

namespace tributary::fetchers {
namespace {

using std::chrono::milliseconds;
using test_support::TestOrigin;

// Records every event as a line ("retry source group", "denied source", "circuit group 2").
class RecordingObserver : public FetchObserver {
 public:
  void OnRetry(const std::string& source_id, const std::string& group) noexcept override {
    Add("retry " + source_id + " " + group);
  }
  void OnRobotsDenied(const std::string& source_id) noexcept override {
    Add("denied " + source_id);
  }
  void OnCircuitState(const std::string& group, CircuitState state) noexcept override {
    Add("circuit " + group + " " + std::to_string(static_cast<int>(state)));
  }
  std::vector<std::string> Events() const {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  void Add(std::string event) {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(event));
  }
  mutable std::mutex mu_;
  std::vector<std::string> events_;  // Guarded by mu_.
};

FetchRequest Request(const std::string& url, const std::string& source) {
  FetchRequest r = LoopbackRequest(url);
  r.source_id = source;
  r.retry.base = milliseconds(1);
  r.retry.cap = milliseconds(50);
  return r;
}

TEST(FetchObserver, ARetryIsReportedWithItsSourceAndGroup) {
  TestOrigin origin(0, "127.0.0.11");
  origin.RouteSequence("/flaky", {{503, {}, "busy"}, {200, {}, "ok"}});
  auto observer = std::make_shared<RecordingObserver>();
  Fetcher fetcher(FetcherOptions{1, observer});
  FetchRequest r = Request(origin.Url("/flaky"), "flaky");
  r.retry.attempts = 3;
  const FetchResult result = FetchSync(fetcher, r);
  ASSERT_FALSE(result.error) << result.error->message;
  EXPECT_EQ(result.attempts, 2);
  // One failure is far from opening the circuit: the group is reported once, closed.
  EXPECT_EQ(observer->Events(),
            (std::vector<std::string>{"circuit host:127.0.0.11 0", "retry flaky host:127.0.0.11"}));
}

TEST(FetchObserver, RobotsDenialsAreReportedPerRequestNotSent) {
  TestOrigin origin(0, "127.0.0.12");
  origin.Route("/robots.txt", {200,
                               {{"Content-Type", "text/plain"}},
                               "User-agent: *\n"
                               "Disallow: /private\n"});
  origin.Route("/private/data", {200, {}, "secret"});
  origin.Route("/public", {200, {}, "hello"});
  auto observer = std::make_shared<RecordingObserver>();
  Fetcher fetcher(FetcherOptions{1, observer});
  FetchRequest denied = Request(origin.Url("/private/data"), "private");
  denied.obey_robots = true;
  FetchRequest allowed = Request(origin.Url("/public"), "public");
  allowed.obey_robots = true;
  EXPECT_EQ(FetchSync(fetcher, denied).robots, RobotsVerdict::kDisallowed);
  EXPECT_EQ(FetchSync(fetcher, allowed).robots, RobotsVerdict::kAllowed);
  // The second denial comes from the cached robots.txt, on the caller's thread.
  EXPECT_EQ(FetchSync(fetcher, denied).robots, RobotsVerdict::kDisallowed);
  EXPECT_EQ(origin.Hits("/private/data"), 0u);
  EXPECT_EQ(observer->Events(), (std::vector<std::string>{"circuit host:127.0.0.12 0",
                                                          "denied private", "denied private"}));
}

// A zero cooldown makes the probe start with the next request: open, half-open, then the probe
// decides, without waiting for a clock.
TEST(FetchObserver, EveryCircuitTransitionIsReported) {
  TestOrigin origin(0, "127.0.0.13");
  origin.RouteSequence(
      "/svc", {{503, {}, "down"}, {503, {}, "down"}, {503, {}, "still down"}, {200, {}, "up"}});
  auto observer = std::make_shared<RecordingObserver>();
  Fetcher fetcher(FetcherOptions{1, observer});
  FetchRequest r = Request(origin.Url("/svc"), "svc");
  r.retry.attempts = 1;
  r.retry.circuit_failures = 2;
  r.retry.circuit_cooldown = milliseconds(0);
  EXPECT_TRUE(FetchSync(fetcher, r).error);   // 1 failure: closed
  EXPECT_TRUE(FetchSync(fetcher, r).error);   // 2 failures: open
  EXPECT_TRUE(FetchSync(fetcher, r).error);   // the probe fails: open again
  EXPECT_FALSE(FetchSync(fetcher, r).error);  // the probe succeeds: closed
  EXPECT_EQ(origin.Hits("/svc"), 4u);
  const std::string g = "circuit host:127.0.0.13 ";
  EXPECT_EQ(observer->Events(),
            (std::vector<std::string>{g + "0", g + "2", g + "1", g + "2", g + "1", g + "0"}));
}

TEST(FetchObserver, AFetcherWithoutObserverWorksAsBefore) {
  TestOrigin origin(0, "127.0.0.14");
  origin.RouteSequence("/flaky", {{503, {}, "busy"}, {200, {}, "ok"}});
  Fetcher fetcher(FetcherOptions{1});
  FetchRequest r = Request(origin.Url("/flaky"), "flaky");
  r.retry.attempts = 2;
  EXPECT_FALSE(FetchSync(fetcher, r).error);
}

}  // namespace
}  // namespace tributary::fetchers
