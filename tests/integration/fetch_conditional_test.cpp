// Conditional requests end to end (issue 3): the real daemon against a loopback origin. A 304
// or a body identical to the stored one skips extraction (the worker pool never sees it), the
// stored records stay, the fetch state explains it, and the validators survive a restart.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "tests/integration/daemon_process.hpp"
#include "tests/support/origin.hpp"

namespace tributary::testing {
namespace {

using nlohmann::json;
using test_support::RecordedRequest;
using test_support::Response;
using test_support::TestOrigin;

std::string Items(int n) {
  json items = json::array();
  for (int i = 1; i <= n; ++i) items.push_back({{"id", "item-" + std::to_string(i)}, {"n", i}});
  return json{{"items", items}}.dump();
}

json Config(const TestOrigin& origin, const std::string& data_dir) {
  return {{"listen", "127.0.0.1:0"},
          {"data_dir", data_dir},
          {"log", {{"level", "debug"}}},
          {"fetch", {{"allow_private_networks", true}, {"startup_spread", "100ms"}}},
          {"workers", {{"processes", 1}}},
          {"sources",
           {{{"id", "items"},
             {"url", origin.Url("/items.json")},
             {"every", "1s"},
             {"format", "json"},
             {"records", "/items"},
             {"key", "id"},
             {"fields", {{"id", "/id"}, {"n", "/n"}}}}}}};
}

class FetchConditionalTest : public ::testing::Test {
 protected:
  // Answers with whatever `next_` holds now (the origin applies its validators: 304).
  void SetUp() override {
    origin_.Route("/items.json", [this](const RecordedRequest&) {
      std::lock_guard lock(mu_);
      return next_;
    });
  }
  void Serve(Response r) {
    std::lock_guard lock(mu_);
    next_ = std::move(r);
  }
  static Response Json(std::string body, std::string etag = {}, std::string last_modified = {}) {
    return Response{.status = 200,
                    .headers = {{"Content-Type", "application/json"}},
                    .body = std::move(body),
                    .etag = std::move(etag),
                    .last_modified = std::move(last_modified)};
  }

  std::unique_ptr<DaemonProcess> Start() {
    std::string error;
    auto d = DaemonProcess::Start(dir_.path(), Config(origin_, dir_.path() + "/data"), &error);
    EXPECT_NE(d, nullptr) << error;
    return d;
  }

  // GET /api/v1/sources/items until `done` holds for it; returns the last explanation.
  json WaitForSource(const DaemonProcess& d, const std::function<bool(const json&)>& done) {
    json source;
    const bool ok = WaitUntil([&] {
      auto reply = d.Get("/api/v1/sources/items");
      if (reply.status != 200) return false;
      source = reply.Json();
      return source.contains("fetch") && done(source);
    });
    EXPECT_TRUE(ok) << "last explanation: " << source.dump(2) << "\nlog:\n" << d.Log();
    return source;
  }

  static uint64_t Count(const json& source, const char* name) {
    return source["fetch"].value("counts", json::object()).value(name, uint64_t{0});
  }
  static uint64_t Jobs(const json& source) {
    return source.value("extraction", json::object()).value("jobs", uint64_t{0});
  }
  size_t Records(const DaemonProcess& d) {
    return d.Get("/api/v1/sources/items/records").Json()["records"].size();
  }

  TempDir dir_;
  TestOrigin origin_;
  std::mutex mu_;
  Response next_;  // Guarded by mu_.
};

TEST_F(FetchConditionalTest, NotModifiedAndUnchangedBodiesSkipExtraction) {
  const std::string body_a = Items(3);
  Serve(Json(body_a, "\"a1\""));
  auto d = Start();
  ASSERT_TRUE(d);

  // The first answer is extracted; every later one is a 304 to If-None-Match.
  json s = WaitForSource(*d, [](const json& j) { return Count(j, "not_modified") >= 2; });
  EXPECT_EQ(Jobs(s), 1u) << "a 304 must not reach the worker pool";
  EXPECT_EQ(Records(*d), 3u) << "the stored snapshot stays";
  EXPECT_EQ(s["fetch"]["last"]["use"], "not_modified");
  EXPECT_EQ(s["fetch"]["last"]["http_status"], 304);
  EXPECT_GE(Count(s, "bytes_saved"), 2 * body_a.size());
  EXPECT_GT(s["fetch"]["counts"]["not_modified_ratio"].get<double>(), 0.3);
  EXPECT_EQ(s["last_fetch"]["http_status"], 304);
  EXPECT_TRUE(s["last_fetch"]["error"].is_null());
  const auto requests = origin_.Requests();
  ASSERT_GE(requests.size(), 3u);
  EXPECT_EQ(requests[0].Header("if-none-match"), "");
  for (size_t i = 1; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].Header("if-none-match"), "\"a1\"") << "request " << i;
  }

  // No validators any more, the same bytes: the body hash matches, extraction is skipped.
  Serve(Json(body_a));
  s = WaitForSource(*d, [](const json& j) { return Count(j, "unchanged") >= 2; });
  EXPECT_EQ(Jobs(s), 1u) << "an identical body must not reach the worker pool";
  EXPECT_EQ(s["fetch"]["last"]["use"], "unchanged");
  EXPECT_EQ(Records(*d), 3u);

  // A new body is extracted again; Last-Modified alone is used as the validator afterwards.
  const std::string lm = "Wed, 21 Oct 2026 07:28:00 GMT";
  Serve(Json(Items(4), "", lm));
  s = WaitForSource(*d, [](const json& j) {
    return Jobs(j) >= 2 && j["fetch"]["last"]["use"] == "not_modified";
  });
  EXPECT_EQ(Jobs(s), 2u);
  EXPECT_EQ(Records(*d), 4u);
  EXPECT_EQ(origin_.Requests().back().Header("if-modified-since"), lm);
  EXPECT_EQ(origin_.Requests().back().Header("if-none-match"), "");
}

TEST_F(FetchConditionalTest, ValidatorsSurviveARestart) {
  Serve(Json(Items(2), "\"r1\""));
  {
    auto d = Start();
    ASSERT_TRUE(d);
    WaitForSource(*d, [](const json& j) { return Jobs(j) >= 1 && Count(j, "fetches") >= 1; });
    ASSERT_TRUE(WaitUntil([&] { return Records(*d) == 2; }));
    ASSERT_EQ(d->Terminate(), 0);
  }
  const size_t before = origin_.Requests().size();
  auto d = Start();
  ASSERT_TRUE(d);
  // The first fetch after the restart is already conditional, and its 304 is not extracted.
  json s = WaitForSource(*d, [](const json& j) { return Count(j, "not_modified") >= 1; });
  EXPECT_EQ(Jobs(s), 0u);
  EXPECT_EQ(Records(*d), 2u);
  const auto requests = origin_.Requests();
  ASSERT_GT(requests.size(), before);
  EXPECT_EQ(requests[before].Header("if-none-match"), "\"r1\"");
}

TEST_F(FetchConditionalTest, AChangedDefinitionExtractsAgain) {
  Serve(Json(Items(2), "\"d1\""));
  {
    auto d = Start();
    ASSERT_TRUE(d);
    WaitForSource(*d, [](const json& j) { return Count(j, "not_modified") >= 1; });
    ASSERT_EQ(d->Terminate(), 0);
  }
  // Another field: the stored validators belong to the old definition, so the next request
  // is unconditional and its body is extracted with the new one.
  json config = Config(origin_, dir_.path() + "/data");
  config["sources"][0]["fields"]["double"] = "/n";
  const size_t before = origin_.Requests().size();
  std::string error;
  auto d = DaemonProcess::Start(dir_.path(), config, &error);
  ASSERT_TRUE(d) << error;
  json s = WaitForSource(*d, [](const json& j) { return Jobs(j) >= 1; });
  const auto requests = origin_.Requests();
  ASSERT_GT(requests.size(), before);
  EXPECT_EQ(requests[before].Header("if-none-match"), "");
  // The job is counted when the worker answers; its records are committed just after.
  json records;
  EXPECT_TRUE(WaitUntil([&] {
    records = d->Get("/api/v1/sources/items/records").Json()["records"];
    return records.size() == 2u && records[0]["fields"].contains("double");
  })) << records.dump();
}

}  // namespace
}  // namespace tributary::testing
