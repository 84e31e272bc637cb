// The daemon end to end: the real binary, real worker processes, a loopback origin serving the
// bundled example site, and the HTTP API as a user sees it.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "tests/integration/daemon_process.hpp"
#include "tests/support/origin.hpp"

namespace tributary::testing {
namespace {

using test_support::TestOrigin;

// The bundled example configuration, pointed at `origin`, with an ephemeral API port.
nlohmann::json ExampleConfig(const TestOrigin& origin, const std::string& data_dir) {
  std::ifstream in(SourceDir() + "/examples/config.json");
  nlohmann::json config = nlohmann::json::parse(in);
  config["listen"] = "127.0.0.1:0";
  config["data_dir"] = data_dir;
  config["log"]["level"] = "debug";
  for (auto& s : config["sources"]) {
    std::string url = s["url"];
    url.replace(url.find("${EXAMPLE_ORIGIN}"), 17, origin.Url(""));
    s["url"] = url;
  }
  return config;
}

const nlohmann::json* FindRecord(const nlohmann::json& records, const std::string& key) {
  for (const auto& r : records) {
    if (r["key"] == key) return &r;
  }
  return nullptr;
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override { origin_.ServeDirectory("/", SourceDir() + "/examples/site"); }

  std::unique_ptr<DaemonProcess> StartDaemon(const nlohmann::json& config) {
    std::string error;
    auto d = DaemonProcess::Start(dir_.path(), config, &error);
    EXPECT_NE(d, nullptr) << error;
    return d;
  }

  // Waits until the view has `count` records; returns them.
  nlohmann::json WaitForRecords(const DaemonProcess& d, const std::string& view, size_t count) {
    nlohmann::json records;
    const bool ok = WaitUntil([&] {
      auto reply = d.Get("/api/v1/views/" + view + "/records");
      if (reply.status != 200) return false;
      records = reply.Json()["records"];
      return records.size() >= count;
    });
    EXPECT_TRUE(ok) << "view " << view << " never reached " << count << " records; log:\n"
                    << d.Log();
    return records;
  }

  TempDir dir_;
  TestOrigin origin_;
};

TEST_F(DaemonTest, MergesHtmlAndJsonSourcesIntoOneView) {
  auto d = StartDaemon(ExampleConfig(origin_, dir_.path() + "/data"));
  ASSERT_TRUE(d);
  // 5 books in the HTML catalogue, 5 in the JSON inventory, 4 in both: 6 keys.
  auto records = WaitForRecords(*d, "books", 6);
  ASSERT_EQ(records.size(), 6u);
  // Wait until both sources are merged in (the view may first hold one source only).
  WaitUntil([&] {
    records = d->Get("/api/v1/views/books/records").Json()["records"];
    const auto* r = FindRecord(records, "The Salt Road");
    return r && (*r)["sources"].size() == 2;
  });

  const auto* salt = FindRecord(records, "The Salt Road");
  ASSERT_NE(salt, nullptr);
  EXPECT_EQ((*salt)["sources"], nlohmann::json({"shop", "warehouse"}));
  EXPECT_DOUBLE_EQ((*salt)["fields"]["price"].get<double>(), 14.2);
  EXPECT_EQ((*salt)["fields"]["stock"], 4);
  EXPECT_EQ((*salt)["fields"]["author"], "Ada Morrow");
  EXPECT_EQ((*salt)["fields"]["link"], origin_.Url("/books/the-salt-road.html"));
  EXPECT_EQ((*salt)["provenance"]["price"]["source"], "shop");
  EXPECT_EQ((*salt)["provenance"]["stock"]["source"], "warehouse");

  // The shop is first in the view: its price wins where the two disagree.
  const auto* map = FindRecord(records, "A Map of Small Rivers");
  ASSERT_NE(map, nullptr);
  EXPECT_DOUBLE_EQ((*map)["fields"]["price"].get<double>(), 9.99);

  // Thousands separator and currency symbol in the HTML price.
  const auto* clock = FindRecord(records, "The Clockmaker's Daughter");
  ASSERT_NE(clock, nullptr);
  EXPECT_DOUBLE_EQ((*clock)["fields"]["price"].get<double>(), 1204.0);
  EXPECT_EQ((*clock)["sources"], nlohmann::json({"shop"}));

  const auto* harbour = FindRecord(records, "The Quiet Harbour");
  ASSERT_NE(harbour, nullptr);
  EXPECT_EQ((*harbour)["sources"], nlohmann::json({"warehouse"}));

  // The fetch log as /api/v1/sources reports it.
  auto sources = d->Get("/api/v1/sources").Json()["sources"];
  ASSERT_EQ(sources.size(), 2u);
  for (const auto& s : sources) {
    ASSERT_TRUE(s["last_fetch"].is_object()) << s.dump();
    EXPECT_EQ(s["last_fetch"]["http_status"], 200);
    EXPECT_EQ(s["last_fetch"]["record_count"], 5);
    EXPECT_TRUE(s["last_fetch"]["error"].is_null());
    EXPECT_GT(s["last_fetch"]["bytes"].get<int>(), 0);
  }
  // Parsing happened in worker processes, and every fetch log line names its source.
  EXPECT_NE(d->Log().find("source=shop"), std::string::npos);
  EXPECT_EQ(d->Terminate(), 0);
}

TEST_F(DaemonTest, PaginatesWithCursorsReturningEveryRecordOnce) {
  auto d = StartDaemon(ExampleConfig(origin_, dir_.path() + "/data"));
  ASSERT_TRUE(d);
  WaitForRecords(*d, "books", 6);
  std::vector<std::string> keys;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    auto reply =
        d->Get("/api/v1/views/books/records?limit=4" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(reply.status, 200) << reply.body;
    auto body = reply.Json();
    EXPECT_LE(body["records"].size(), 4u);
    for (const auto& r : body["records"]) keys.push_back(r["key"]);
    if (body["next_cursor"].is_null()) break;
    cursor = body["next_cursor"];
  }
  EXPECT_EQ(keys.size(), 6u);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 6u);
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
}

TEST_F(DaemonTest, ErrorsAreJsonWithTheRightStatus) {
  auto d = StartDaemon(ExampleConfig(origin_, dir_.path() + "/data"));
  ASSERT_TRUE(d);
  auto unknown_view = d->Get("/api/v1/views/bookz/records");
  EXPECT_EQ(unknown_view.status, 404);
  EXPECT_EQ(unknown_view.Json()["error"]["code"], "not_found");
  EXPECT_EQ(unknown_view.Json()["error"]["message"], "unknown view \"bookz\"");
  EXPECT_EQ(unknown_view.headers["content-type"], "application/json");

  auto bad_limit = d->Get("/api/v1/views/books/records?limit=abc");
  EXPECT_EQ(bad_limit.status, 400);
  EXPECT_EQ(bad_limit.Json()["error"]["code"], "invalid_parameter");
  EXPECT_NE(bad_limit.Json()["error"]["message"].get<std::string>().find("limit"),
            std::string::npos);

  auto bad_cursor = d->Get("/api/v1/views/books/records?cursor=%%%");
  EXPECT_EQ(bad_cursor.status, 400);

  auto no_route = d->Get("/api/v2/nothing");
  EXPECT_EQ(no_route.status, 404);
  EXPECT_TRUE(no_route.Json()["error"].is_object());

  auto wrong_method = HttpRequest("POST", d->base_url() + "/api/v1/sources", "{}");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.headers["allow"], "GET, HEAD, OPTIONS");

  auto unknown_source = d->Get("/api/v1/sources/nope");
  EXPECT_EQ(unknown_source.status, 404);

  EXPECT_EQ(d->Get("/healthz").status, 200);
  EXPECT_EQ(d->Get("/readyz").status, 200);
}

TEST_F(DaemonTest, RecordsSurviveARestartWhenTheOriginFails) {
  const auto config = ExampleConfig(origin_, dir_.path() + "/data");
  {
    auto d = StartDaemon(config);
    ASSERT_TRUE(d);
    WaitForRecords(*d, "books", 6);
    EXPECT_EQ(d->Terminate(), 0);
  }
  // Now the origin fails every request.
  origin_.Route("/catalogue/page-1.html", {500, {}, "down", {}, false, false});
  origin_.Route("/api/inventory.json", {500, {}, "down", {}, false, false});
  auto d = StartDaemon(config);
  ASSERT_TRUE(d);
  // The stored view is served at once, before any fetch succeeds.
  auto records = d->Get("/api/v1/views/books/records").Json()["records"];
  EXPECT_EQ(records.size(), 6u);
  // The failed fetches are reported on the sources, and the records stay.
  ASSERT_TRUE(WaitUntil([&] {
    auto sources = d->Get("/api/v1/sources").Json()["sources"];
    for (const auto& s : sources) {
      if (!s["last_fetch"].is_object() || s["last_fetch"]["http_status"] != 500) return false;
    }
    return true;
  })) << d->Log();
  auto shop = d->Get("/api/v1/sources/shop").Json();
  EXPECT_NE(shop["last_fetch"]["error"].get<std::string>().find("500"), std::string::npos);
  EXPECT_EQ(shop["last_fetch"]["error_class"], "retryable");
  EXPECT_EQ(d->Get("/api/v1/views/books/records").Json()["records"].size(), 6u);
  EXPECT_EQ(d->Terminate(), 0);
}

TEST_F(DaemonTest, SighupWithABrokenFileKeepsTheRunningConfiguration) {
  auto d = StartDaemon(ExampleConfig(origin_, dir_.path() + "/data"));
  ASSERT_TRUE(d);
  WaitForRecords(*d, "books", 6);
  std::ofstream(d->config_path()) << R"({"sources": [{"id": "x", "evry": "1m"}]})";
  d->Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil([&] { return d->Log().find("reload rejected") != std::string::npos; }))
      << d->Log();
  EXPECT_NE(d->Log().find("sources[0].evry"), std::string::npos);
  EXPECT_EQ(d->Get("/api/v1/sources").Json()["sources"].size(), 2u);
  EXPECT_EQ(d->Get("/api/v1/views/books/records").status, 200);
  EXPECT_EQ(d->Terminate(), 0);
}

TEST_F(DaemonTest, SighupWithAValidFileAppliesIt) {
  auto config = ExampleConfig(origin_, dir_.path() + "/data");
  auto d = StartDaemon(config);
  ASSERT_TRUE(d);
  WaitForRecords(*d, "books", 6);
  // Drop the warehouse: the view now has only the shop's five books.
  config["sources"].erase(1);
  config["views"][0]["sources"] = {"shop"};
  std::ofstream(d->config_path()) << config.dump();
  d->Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil([&] {
    return d->Get("/api/v1/sources").Json()["sources"].size() == 1 &&
           d->Get("/api/v1/views/books/records").Json()["records"].size() == 5;
  })) << d->Log();
  EXPECT_EQ(d->Terminate(), 0);
}

}  // namespace
}  // namespace tributary::testing
