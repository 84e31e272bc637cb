// No document can hurt the daemon (issue 4): the real binary, built with test hooks, fetches a
// document that crashes, hangs or exhausts its worker, next to a healthy source. The hostile
// document is retried once, then quarantined with a clear reason; every other source goes on;
// /healthz answers throughout; the quarantine survives a restart and is lifted when the
// document changes.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/integration/daemon_process.hpp"
#include "tests/support/origin.hpp"

namespace tributary::testing {
namespace {

using test_support::Response;
using test_support::TestOrigin;

const char kGoodJson[] = R"({"items": [{"title": "One"}, {"title": "Two"}, {"title": "Three"}]})";

std::string HtmlPage(const std::string& extra) {
  return "<html><body><div class=\"item\"><span>Alpha</span></div>"
         "<div class=\"item\"><span>Beta</span></div><p>" +
         extra + "</p></body></html>";
}

// The value at a JSON Pointer, or null when any part of the path is missing.
nlohmann::json At(const nlohmann::json& j, const std::string& pointer) {
  if (!j.is_object()) return nullptr;
  return j.value(nlohmann::json::json_pointer(pointer), nlohmann::json());
}

Response Html(const std::string& body) {
  return Response{200, {{"Content-Type", "text/html; charset=utf-8"}}, body};
}

// Polls /healthz from its own thread for as long as it lives; counts failures.
class HealthWatcher {
 public:
  explicit HealthWatcher(const DaemonProcess& d)
      : thread_([this, &d] {
          while (!stop_) {
            const auto reply = d.Get("/healthz");
            ++checks_;
            if (reply.status != 200) ++failures_;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a steady probe rate
          }
        }) {}
  ~HealthWatcher() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int checks() const { return checks_; }
  int failures() const { return failures_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> checks_{0};
  std::atomic<int> failures_{0};
  std::thread thread_;
};

class PoolIsolationTest : public ::testing::Test {
 protected:
  void SetUp() override {
#ifndef TRIBUTARY_TEST_HOOKS
    GTEST_SKIP() << "needs a build with TRIBUTARY_TEST_HOOKS";
#endif
    good_origin_.Route("/good.json",
                       Response{200, {{"Content-Type", "application/json"}}, kGoodJson});
  }

  // A healthy JSON source on one origin, the hostile HTML source on another (so per-host
  // politeness cannot couple them).
  nlohmann::json Config(const std::string& job_timeout = "2s", int processes = 1) {
    return {{"listen", "127.0.0.1:0"},
            {"data_dir", dir_.path() + "/data"},
            {"log", {{"level", "debug"}}},
            {"fetch", {{"allow_private_networks", true}, {"timeout", "5s"}}},
            {"workers",
             {{"processes", processes}, {"job_timeout", job_timeout}, {"max_memory", "256MiB"}}},
            {"sources",
             {{{"id", "good"},
               {"url", good_origin_.Url("/good.json")},
               {"every", "1s"},
               {"format", "json"},
               {"records", "/items"},
               {"key", "title"},
               {"fields", {{"title", "/title"}}}},
              {{"id", "hostile"},
               {"url", hostile_origin_.Url("/page.html")},
               {"every", "1s"},
               {"format", "html"},
               {"records", "div.item"},
               {"key", "name"},
               {"fields", {{"name", "span::text"}}}}}},
            {"views", nlohmann::json::array()}};
  }

  std::unique_ptr<DaemonProcess> Start(const nlohmann::json& config) {
    std::string error;
    auto d = DaemonProcess::Start(dir_.path(), config, &error);
    EXPECT_NE(d, nullptr) << error;
    return d;
  }

  static nlohmann::json Source(const DaemonProcess& d, const std::string& id) {
    const auto reply = d.Get("/api/v1/sources/" + id);
    return reply.status == 200 ? reply.Json() : nlohmann::json();
  }

  // Waits until the source's "extraction" state satisfies `pred`; returns the source.
  nlohmann::json WaitForSource(const DaemonProcess& d, const std::string& id,
                               const std::function<bool(const nlohmann::json&)>& pred,
                               std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    nlohmann::json source;
    const bool ok = WaitUntil(
        [&] {
          source = Source(d, id);
          return source.is_object() && source.contains("extraction") && pred(source);
        },
        limit);
    EXPECT_TRUE(ok) << "source " << id << " never reached the expected state: " << source.dump()
                    << "\nlog:\n"
                    << d.Log();
    return source;
  }

  static bool Quarantined(const nlohmann::json& s) {
    return At(s, "/extraction/quarantined") == true;
  }

  TempDir dir_;
  TestOrigin good_origin_;
  TestOrigin hostile_origin_{0, "127.0.0.5"};
};

TEST_F(PoolIsolationTest, CrashingDocumentIsQuarantinedWhileOtherSourcesGoOn) {
  hostile_origin_.Route("/page.html", Html(HtmlPage("TRIBUTARY-TEST-CRASH")));
  auto d = Start(Config());
  ASSERT_TRUE(d);
  HealthWatcher health(*d);

  // Quarantined, and the fetch that found it so is logged.
  auto hostile = WaitForSource(*d, "hostile", [](const nlohmann::json& s) {
    return Quarantined(s) && At(s, "/last_fetch/error").is_string();
  });
  const auto& x = At(hostile, "/extraction");
  EXPECT_EQ(At(x, "/quarantine/reason"),
            "quarantined: worker killed by signal 11 (Segmentation fault) twice");
  EXPECT_EQ(At(x, "/quarantine/cause"), "crash");
  EXPECT_EQ(At(x, "/failures/crash"), 2);
  EXPECT_EQ(At(x, "/jobs"), 1);
  ASSERT_TRUE(At(hostile, "/last_fetch").is_object()) << hostile.dump();
  EXPECT_EQ(At(hostile, "/last_fetch/error"),
            "quarantined: worker killed by signal 11 (Segmentation fault) twice");
  EXPECT_EQ(At(hostile, "/last_fetch/error_class"), "source_broken");
  // Its losses by cause in /metrics, from its first loss on; none for the healthy source.
  const std::string scrape = d->Get("/metrics").body;
  EXPECT_NE(scrape.find("tributary_extraction_worker_losses_total{source=\"hostile\","
                        "cause=\"crash\"} 2\n"),
            std::string::npos)
      << scrape;
  EXPECT_EQ(scrape.find("tributary_extraction_worker_losses_total{source=\"good\""),
            std::string::npos);

  // The same document is fetched again and again but never given to a worker again.
  ASSERT_TRUE(hostile_origin_.WaitForHits("/page.html", 3, std::chrono::seconds(20)));
  hostile = WaitForSource(*d, "hostile", [](const nlohmann::json& s) {
    return At(s, "/extraction/skipped_quarantined") >= 2;
  });
  EXPECT_EQ(At(hostile, "/extraction/jobs"), 1);
  EXPECT_TRUE(Quarantined(hostile));
  EXPECT_EQ(At(hostile, "/last_fetch/error"),
            "quarantined: worker killed by signal 11 (Segmentation fault) twice");

  // Meanwhile the healthy source was fetched over and over (its unchanged body need not be
  // parsed again) and its records are stored.
  // (Waited for: the two sources' schedules have different offsets, so at the moment of the
  // hostile source's third fetch the healthy one may be one fetch behind.)
  EXPECT_TRUE(good_origin_.WaitForHits("/good.json", 3, std::chrono::seconds(20)))
      << good_origin_.Hits("/good.json") << " fetches of the healthy source";
  auto good = WaitForSource(*d, "good", [](const nlohmann::json& s) {
    return At(s, "/extraction/completed") >= 1 && At(s, "/stored/records") == 3;
  });
  EXPECT_TRUE(At(good, "/last_fetch/error").is_null());
  EXPECT_FALSE(Quarantined(good));

  health.Stop();
  EXPECT_GT(health.checks(), 5);
  EXPECT_EQ(health.failures(), 0);
  EXPECT_EQ(d->Get("/readyz").status, 200);

  // A new document is parsed again: the quarantine no longer applies.
  hostile_origin_.Route("/page.html", Html(HtmlPage("fine now")));
  hostile = WaitForSource(*d, "hostile", [](const nlohmann::json& s) {
    // The stored snapshot, not last_fetch: the next poll of the same page ("unchanged")
    // replaces last_fetch a moment later.
    return !Quarantined(s) && At(s, "/extraction/completed") >= 1 && At(s, "/stored/records") == 2;
  });
  EXPECT_EQ(At(hostile, "/extraction/jobs"), 2);
  EXPECT_TRUE(At(hostile, "/last_fetch/error").is_null());
  EXPECT_EQ(d->Terminate(), 0);
}

TEST_F(PoolIsolationTest, QuarantineSurvivesARestart) {
  hostile_origin_.Route("/page.html", Html(HtmlPage("TRIBUTARY-TEST-CRASH")));
  {
    auto d = Start(Config());
    ASSERT_TRUE(d);
    WaitForSource(*d, "hostile", Quarantined);
    EXPECT_EQ(d->Terminate(), 0);
  }
  const size_t hits_before = hostile_origin_.Hits("/page.html");
  auto d = Start(Config());
  ASSERT_TRUE(d);
  ASSERT_TRUE(hostile_origin_.WaitForHits("/page.html", hits_before + 1));
  auto hostile = WaitForSource(*d, "hostile", Quarantined);
  EXPECT_EQ(At(hostile, "/extraction/jobs"), 0);  // not given to a worker after the restart
  EXPECT_GE(At(hostile, "/extraction/skipped_quarantined"), 1);
  EXPECT_EQ(At(hostile, "/extraction/failures/crash"), 0);
  EXPECT_EQ(At(hostile, "/extraction/quarantine/reason"),
            "quarantined: worker killed by signal 11 (Segmentation fault) twice");
  EXPECT_EQ(d->Terminate(), 0);
}

// A parse that never ends costs its worker at the deadline; fetching and extracting other
// sources goes on meanwhile on the other worker.
TEST_F(PoolIsolationTest, HangingParseIsKilledAtTheDeadlineAndNeverDelaysFetching) {
  hostile_origin_.Route("/page.html", Html(HtmlPage("TRIBUTARY-TEST-HANG")));
  auto d = Start(Config("3s", 2));
  ASSERT_TRUE(d);
  HealthWatcher health(*d);
  ASSERT_TRUE(hostile_origin_.WaitForHits("/page.html", 1));
  const auto hang_started = std::chrono::steady_clock::now();
  const size_t good_hits = good_origin_.Hits("/good.json");
  auto hostile = WaitForSource(*d, "hostile", Quarantined);
  const auto hang_lasted = std::chrono::steady_clock::now() - hang_started;
  EXPECT_GE(hang_lasted, std::chrono::seconds(5));  // two attempts of 3 s each
  EXPECT_EQ(At(hostile, "/extraction/quarantine/reason"),
            "quarantined: worker timed out after 3000 ms twice");
  EXPECT_EQ(At(hostile, "/extraction/quarantine/cause"), "timeout");
  EXPECT_EQ(At(hostile, "/extraction/failures/timeout"), 2);
  // The healthy source, every second, was fetched during the 6 s of hanging.
  EXPECT_GE(good_origin_.Hits("/good.json"), good_hits + 3);
  health.Stop();
  EXPECT_EQ(health.failures(), 0);
  auto good = WaitForSource(*d, "good",
                            [](const nlohmann::json& s) { return At(s, "/stored/records") == 3; });
  EXPECT_EQ(d->Terminate(), 0);
}

TEST_F(PoolIsolationTest, MemoryBombIsStoppedByTheAddressSpaceLimit) {
#ifdef TRIBUTARY_SANITIZE
  GTEST_SKIP() << "no RLIMIT_AS under AddressSanitizer";
#endif
  hostile_origin_.Route("/page.html", Html(HtmlPage("TRIBUTARY-TEST-MEMORY")));
  auto d = Start(Config("20s"));
  ASSERT_TRUE(d);
  HealthWatcher health(*d);
  auto hostile = WaitForSource(*d, "hostile", Quarantined);
  EXPECT_EQ(At(hostile, "/extraction/quarantine/reason"),
            "quarantined: worker ran out of memory (limit 256 MiB) twice");
  EXPECT_EQ(At(hostile, "/extraction/quarantine/cause"), "oom");
  EXPECT_EQ(At(hostile, "/extraction/failures/oom"), 2);
  WaitForSource(*d, "good", [](const nlohmann::json& s) { return At(s, "/stored/records") == 3; });
  health.Stop();
  EXPECT_EQ(health.failures(), 0);
  EXPECT_EQ(d->Terminate(), 0);
}

// The first worker dies, the retry on a fresh one succeeds: records, no quarantine.
TEST_F(PoolIsolationTest, ParseThatCrashesOnceSucceedsOnTheRetry) {
  const std::string marker = dir_.path() + "/crashed-once";
  hostile_origin_.Route("/page.html", Html(HtmlPage("TRIBUTARY-TEST-FLAKY:" + marker)));
  auto d = Start(Config());
  ASSERT_TRUE(d);
  auto hostile = WaitForSource(*d, "hostile", [](const nlohmann::json& s) {
    return At(s, "/extraction/completed") >= 1 && At(s, "/stored/records") == 2;
  });
  EXPECT_FALSE(Quarantined(hostile));
  EXPECT_EQ(At(hostile, "/extraction/retried"), 1);
  EXPECT_EQ(At(hostile, "/extraction/failures/crash"), 1);
  EXPECT_EQ(At(hostile, "/extraction/quarantines"), 0);
  EXPECT_EQ(d->Terminate(), 0);
}

}  // namespace
}  // namespace tributary::testing
