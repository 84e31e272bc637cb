// The fetch engine as a new user meets it (issue 3, "Done means", short version; the ten-minute
// version is bench/fetch/soak): 50 sources on 10 loopback hosts, two of them flaky, one answering
// 429 with Retry-After (seconds, then an HTTP date), one down for a while (circuit breaker), one
// with robots.txt, two answering 304s, one slow, and one joined to a named group with a token
// bucket. The origins' own request logs must show that every spacing, concurrency and rate
// limit held, that the 429 host backed off as told while the others went on, that 304s skipped
// extraction, and GET /api/v1/sources/{id} must explain every source.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <mutex>
#include <set>

#include "tests/integration/daemon_process.hpp"
#include "tests/support/origin.hpp"
#include "tests/support/request_log.hpp"

namespace tributary::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using test_support::RecordedRequest;
using test_support::Response;
using test_support::TestOrigin;
using Steady = std::chrono::steady_clock;

constexpr int kHosts = 10;
constexpr int kPerHost = 5;
constexpr milliseconds kSpacing{250};  // default group
constexpr int kConcurrency = 2;        // default group
constexpr milliseconds kShopSpacing{400};
constexpr double kShopRate = 2.0;  // per second, burst 1
constexpr milliseconds kTolerance{60};
constexpr milliseconds kOutage{
    6000};  // of every kOutagePeriod      // host 7 answers 500 this long
constexpr milliseconds kOutagePeriod{60000};
constexpr milliseconds kCooldown{2000};  // circuit cooldown
constexpr milliseconds kRetryAfter{3000};
constexpr int kTooManyEvery = 12;  // host 3 answers its 1st, 13th, 25th ... request with 429  //
                                   // host 3's first 429 (seconds form)

// The roles of the hosts.
enum Host {
  kStable = 0,
  kFlaky503 = 1,
  kFlakyReset = 2,
  kTooMany = 3,
  kEtag = 4,
  kLastModified = 5,
  kRobots = 6,
  kOutageHost = 7,
  kSlow = 8,
  kShop = 9
};

std::string HttpDate(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string Address(int host) { return "127.0.0." + std::to_string(41 + host); }
std::string SourceId(int host, int i) {
  return "h" + std::to_string(host) + "s" + std::to_string(i);
}

// A 429 the origin sent: when, and the least pause it asked for.
struct TooMany {
  Steady::time_point at;
  milliseconds pause;
};

class FetchScenarioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    start_ = Steady::now();
    for (int h = 0; h < kHosts; ++h) {
      origins_[h] = std::make_unique<TestOrigin>(0, Address(h));
      for (int i = 0; i < kPerHost; ++i) {
        const std::string path =
            (h == kRobots && i == 4 ? "/private/p" : "/p") + std::to_string(i) + ".json";
        origins_[h]->Route(path,
                           [this, h, i](const RecordedRequest& r) { return Answer(h, i, r); });
      }
    }
    origins_[kRobots]->Route("/robots.txt",
                             Response{.status = 200,
                                      .headers = {{"Content-Type", "text/plain"}},
                                      .body = "User-agent: *\nDisallow: /private/\n"});
  }

  Response Answer(int h, int i, const RecordedRequest& r) {
    std::lock_guard lock(mu_);
    const int n = ++hits_[h];  // this host's n-th page request
    // This source's own count: the flaky host fails each source's first and every other request,
    // so a retry (or, when the group's retry budget is spent, the next poll) recovers it.
    const int own = ++source_hits_[SourceId(h, i)];
    json items = json::array();
    items.push_back({{"id", SourceId(h, i) + "-a"},
                     {"n", h == kEtag || h == kLastModified ? 0 : n}});  // 304 hosts: constant
    items.push_back({{"id", SourceId(h, i) + "-b"}, {"n", i}});
    const std::string body = json{{"items", items}}.dump();
    Response ok{.status = 200, .headers = {{"Content-Type", "application/json"}}, .body = body};
    switch (h) {
      case kFlaky503:
        if (own % 2 == 1) return Response{.status = 503, .headers = {}, .body = "busy"};
        break;
      case kFlakyReset:
        if (n % 3 == 0) ok.reset_after = 10;
        break;
      case kTooMany:
        if (n % kTooManyEvery == 1) {
          Response busy{.status = 429, .headers = {}, .body = "slow down"};
          if (n % (2 * kTooManyEvery) == 1) {
            busy.headers.emplace_back("Retry-After", std::to_string(kRetryAfter.count() / 1000));
            too_many_.push_back({r.received, kRetryAfter});
          } else {
            // An HTTP date 4 s ahead, whole seconds: at least 3 s from now.
            const auto until = std::chrono::system_clock::now() + std::chrono::seconds(4);
            busy.headers.emplace_back("Retry-After", HttpDate(until));
            too_many_.push_back({r.received, milliseconds(3000)});
          }
          return busy;
        }
        break;
      case kEtag:
        ok.etag = "\"" + SourceId(h, i) + "\"";
        break;
      case kLastModified:
        ok.last_modified = "Tue, 03 Nov 2026 10:00:00 GMT";
        break;
      case kOutageHost:
        if (InOutage(r.received)) return Response{.status = 500, .headers = {}, .body = "down"};
        break;
      case kSlow:
        ok.delay = milliseconds(700);
        break;
      default:
        break;
    }
    return ok;
  }

  json Config(const std::string& data_dir) const {
    json sources = json::array();
    for (int h = 0; h < kHosts; ++h) {
      for (int i = 0; i < kPerHost; ++i) {
        const std::string path =
            (h == kRobots && i == 4 ? "/private/p" : "/p") + std::to_string(i) + ".json";
        json s = {{"id", SourceId(h, i)},
                  {"url", origins_[h]->Url(path)},
                  {"every", "2s"},
                  {"format", "json"},
                  {"records", "/items"},
                  {"key", "id"},
                  {"fields", {{"id", "/id"}, {"n", "/n"}}}};
        if (h == kRobots) s["robots"] = "obey";
        if (h == kShop) s["group"] = "shop";
        sources.push_back(std::move(s));
      }
    }
    return {
        {"listen", "127.0.0.1:0"},
        {"data_dir", data_dir},
        {"log", {{"level", "info"}}},
        {"workers", {{"processes", 2}}},
        {"groups",
         {{"shop", {{"concurrency", 1}, {"spacing", "400ms"}, {"rate", "2/s"}, {"burst", 1}}}}},
        {"fetch",
         {{"allow_private_networks", true},
          {"startup_spread", "1s"},
          {"default_group", {{"by", "host"}, {"concurrency", kConcurrency}, {"spacing", "250ms"}}},
          {"retry", {{"attempts", 3}, {"base", "100ms"}, {"cap", "1s"}}},
          {"circuit", {{"failures", 4}, {"cooldown", "2s"}}}}},
        {"sources", sources}};
  }

  std::vector<RecordedRequest> Log(int h) const { return origins_[h]->Requests(); }
  // Host 7 is down for the first kOutage of every kOutagePeriod.
  bool InOutage(Steady::time_point t) const { return (t - start_) % kOutagePeriod < kOutage; }
  // TRIBUTARY_SCENARIO_SECONDS (bench/fetch/soak: 600), else 20 s.
  static std::chrono::seconds RunLength() {
    const char* env = std::getenv("TRIBUTARY_SCENARIO_SECONDS");
    return std::chrono::seconds(env != nullptr ? std::max(20, std::atoi(env)) : 20);
  }

  Steady::time_point start_;
  std::array<std::unique_ptr<TestOrigin>, kHosts> origins_;
  std::mutex mu_;
  // Guarded by mu_ (the origins' threads answer, the test reads after the run).
  std::map<int, int> hits_;
  std::map<std::string, int> source_hits_;
  std::vector<TooMany> too_many_;
};

TEST_F(FetchScenarioTest, FiftySourcesOnTenHostsKeepEveryLimit) {
  TempDir dir;
  std::string error;
  auto d = DaemonProcess::Start(dir.path(), Config(dir.path() + "/data"), &error);
  ASSERT_TRUE(d) << error;

  // Watch the schedule as a user would, until every state has been seen and the run is long
  // enough to have exercised each rule (bounded).
  std::map<std::string, std::set<std::string>> reasons;  // source -> next-due reasons seen
  bool circuit_seen_open = false;
  auto seen = [&](const std::string& id, const std::string& reason) {
    return reasons[id].count(reason) > 0;
  };
  auto seen_any = [&](int host, const std::string& reason) {
    for (int i = 0; i < kPerHost; ++i) {
      if (seen(SourceId(host, i), reason)) return true;
    }
    return false;
  };
  const auto run_start = Steady::now();
  // Each try reads the schedule of every source and the outage host's group, as a dashboard
  // would; WaitUntil paces the tries.
  Steady::time_point last_poll{};
  WaitUntil(
      [&] {
        if (Steady::now() - last_poll < milliseconds(150)) return false;  // a dashboard's pace
        last_poll = Steady::now();
        auto list = d->Get("/api/v1/sources");
        if (list.status == 200) {
          const json sources = list.Json();  // held: a temporary's member would dangle
          for (const auto& s : sources["sources"]) {
            if (s.contains("schedule")) {
              reasons[s["id"]].insert(s["schedule"]["reason"].get<std::string>());
            }
          }
        }
        auto outage = d->Get("/api/v1/sources/" + SourceId(kOutageHost, 0));
        if (outage.status == 200) {
          const json j = outage.Json();
          if (j.contains("fetch") && j["fetch"].contains("group") &&
              j["fetch"]["group"]["circuit"] == "open") {
            circuit_seen_open = true;
          }
        }
        size_t too_many = 0;
        {
          std::lock_guard lock(mu_);
          too_many = too_many_.size();
        }
        return Steady::now() - run_start > RunLength() && circuit_seen_open && too_many >= 2 &&
               seen_any(kTooMany, "retry-after") && seen(SourceId(kRobots, 4), "robots") &&
               Steady::now() - start_ > kOutage + 4 * kCooldown;
      },
      RunLength() + std::chrono::seconds(25));

  // Spacing and concurrency per politeness group, from the origins' own logs.
  for (int h = 0; h < kHosts; ++h) {
    const auto log = Log(h);
    ASSERT_GE(log.size(), 5u) << "host " << h;
    const milliseconds spacing = h == kShop ? kShopSpacing : kSpacing;
    EXPECT_GE(test_support::MinGap(log), spacing - kTolerance) << "spacing of host " << h;
    EXPECT_LE(test_support::MaxConcurrency(log), h == kShop ? 1u : size_t{kConcurrency})
        << "concurrency of host " << h;
    std::cout << "host " << h << " (" << Address(h) << "): " << log.size()
              << " requests, smallest gap " << test_support::MinGap(log).count() << " ms (limit "
              << spacing.count() << " ms), most at once " << test_support::MaxConcurrency(log)
              << " (limit " << (h == kShop ? 1 : kConcurrency) << ")\n";
  }
  // The slow host needed its concurrency limit (answers take longer than the spacing).
  EXPECT_EQ(test_support::MaxConcurrency(Log(kSlow)), size_t{kConcurrency});
  // The named group's token bucket (2/s, burst 1): never more than burst + rate * window.
  {
    const auto log = Log(kShop);
    for (size_t i = 0; i < log.size(); ++i) {
      for (size_t j = i + 1; j < log.size(); ++j) {
        const double window =
            std::chrono::duration<double>(log[j].received - log[i].received + kTolerance).count();
        EXPECT_LE(static_cast<double>(j - i), 1.0 + kShopRate * window) << i << ".." << j;
      }
    }
  }

  // The 429 host paused for as long as it asked, while the other hosts went on.
  std::vector<TooMany> too_many;
  {
    std::lock_guard lock(mu_);
    too_many = too_many_;
  }
  ASSERT_GE(too_many.size(), 2u) << "host 3 should have answered 429 at least twice";
  const auto busy_log = Log(kTooMany);
  // The last request of the run: a pause that lasts beyond it was cut off by the run's end, and
  // the other hosts' requests during it cannot be counted.
  auto last_received = busy_log.empty() ? decltype(busy_log.front().received){}
                                        : busy_log.back().received;
  for (int h = 0; h < kHosts; ++h) {
    for (const auto& r : Log(h)) last_received = std::max(last_received, r.received);
  }
  for (const auto& t : too_many) {
    if (t.at + t.pause > last_received) continue;
    for (const auto& r : busy_log) {
      if (r.received > t.at) {
        EXPECT_GE(r.received - t.at, t.pause - kTolerance) << "host 3 was asked to wait";
        break;
      }
    }
    size_t others = 0;
    for (int h = 0; h < kHosts; ++h) {
      if (h == kTooMany) continue;
      for (const auto& r : Log(h)) others += r.received > t.at && r.received < t.at + t.pause;
    }
    EXPECT_GE(others, 10u) << "other hosts must go on during host 3's pause";
  }
  EXPECT_TRUE(seen_any(kTooMany, "retry-after"));

  // The outage host: its circuit opened, then it was probed no more than once per cooldown.
  EXPECT_TRUE(circuit_seen_open);
  {
    // Per outage: the requests it received, and the longest pause between two of them.
    std::map<int64_t, std::pair<size_t, milliseconds>> outages;
    const auto log = Log(kOutageHost);
    // Only outages that end within the run: one cut off by its end (the run is a whole number
    // of minutes, so the next outage starts as it stops) has too few requests to judge.
    const int64_t whole_outages = (RunLength() - kOutage) / kOutagePeriod + 1;
    for (size_t i = 0; i < log.size(); ++i) {
      if (!InOutage(log[i].received)) continue;
      const int64_t period = (log[i].received - start_) / kOutagePeriod;
      if (period >= whole_outages) continue;
      auto& [during, longest_gap] = outages[period];
      if (during++ > 0)
        longest_gap = std::max(longest_gap, test_support::Between(log[i - 1], log[i]));
    }
    for (const auto& [period, o] : outages) {
      const auto& [during, longest_gap] = o;
      EXPECT_GE(longest_gap, kCooldown - kTolerance) << "no cooldown in outage " << period;
      EXPECT_LE(during, 14u) << "an open circuit must stop the requests to a failing host";
      std::cout << "outage " << period << ": " << during << " requests, longest pause "
                << longest_gap.count() << " ms (cooldown " << kCooldown.count() << " ms)\n";
    }
  }

  // robots.txt: fetched once for its host; the disallowed path was never requested.
  EXPECT_EQ(origins_[kRobots]->Hits("/robots.txt"), 1u);
  EXPECT_EQ(origins_[kRobots]->Hits("/private/p4.json"), 0u);

  // Every source explains itself; 304s were not extracted; flaky hosts recovered.
  for (int h = 0; h < kHosts; ++h) {
    for (int i = 0; i < kPerHost; ++i) {
      const std::string id = SourceId(h, i);
      const json s = d->Get("/api/v1/sources/" + id).Json();
      ASSERT_TRUE(s.contains("fetch")) << id << ": " << s.dump();
      const json& f = s["fetch"];
      EXPECT_TRUE(f.contains("next_due") && f.contains("next_due_reason")) << id << f.dump();
      EXPECT_TRUE(f.contains("counts")) << id << f.dump();
      EXPECT_FALSE(f["next_due_reason"].get<std::string>().empty()) << id;
      ASSERT_TRUE(f.contains("last")) << id << f.dump();
      ASSERT_TRUE(f.contains("group")) << id << f.dump();
      const std::string group = h == kShop ? "group:shop" : "host:" + Address(h);
      EXPECT_EQ(f["group_key"], group) << id;
      EXPECT_EQ(f["group"]["key"], group) << id;
      if (h == kRobots && i == 4) {
        EXPECT_EQ(f["robots"], "disallowed") << id;
        EXPECT_EQ(f["next_due_reason"], "robots") << id;
        EXPECT_EQ(f["last"]["sent"], false) << id;
        continue;
      }
      if (h == kRobots) {
        EXPECT_EQ(f["robots"], "allowed") << id;
      }
      EXPECT_GE(f["counts"]["fetches"].get<int>(), 2) << id << f.dump();
      if (h == kEtag || h == kLastModified) {
        EXPECT_GE(f["counts"]["not_modified"].get<int>(), 1) << id << f.dump();
        EXPECT_GT(f["counts"]["bytes_saved"].get<int>(), 0) << id;
        EXPECT_EQ(s["extraction"]["jobs"], 1) << id << ": a 304 must not be extracted";
      }
      if (h == kFlaky503 || h == kFlakyReset || h == kOutageHost) {
        EXPECT_GT(f["group"]["retries"].get<int>(), 0) << id << f.dump();
      }
      // Every source has records by now (the flaky ones thanks to retries).
      EXPECT_TRUE(s["stored"]["records"].is_number()) << id << s["stored"].dump() << f.dump();
    }
  }
  EXPECT_EQ(d->Terminate(), 0);
}

}  // namespace
}  // namespace tributary::testing
