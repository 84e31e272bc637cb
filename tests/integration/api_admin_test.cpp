// Auth matrix, administration (refresh, pause/resume, reload, preview), metrics, and the change
// endpoints' behaviour through real HTTP.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <fstream>

#include "tests/integration/api_test_util.hpp"
#include "tests/integration/raw_client.hpp"

namespace tributary::testing {
namespace {

const std::string kRead = "read-token-0123456789abcdef";
const std::string kAdmin = "admin-token-0123456789abcdef";

class ApiAdminTest : public ApiTestBase {
 protected:
  nlohmann::json TokenConfig() {
    auto config = ApiExampleConfig(origin_, dir_.path() + "/data");
    config["api"]["tokens"] = {{{"token", kRead}, {"role", "read"}},
                               {{"token", kAdmin}, {"role", "admin"}}};
    return config;
  }
  static std::vector<std::string> Bearer(const std::string& token) {
    return {"Authorization: Bearer " + token};
  }
};

// The status line of a request that may not end (an event stream answers 200 and goes on).
long StatusOnly(const DaemonProcess& d, const std::string& path,
                const std::vector<std::string>& headers) {
  RawClient client(d.base_url());
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& h : headers) request += h + "\r\n";
  if (!client.Send(request + "\r\n")) return 0;
  client.ReadUntil(
      [](const std::string& text) { return text.find("\r\n\r\n") != std::string::npos; });
  return client.Status();
}

TEST_F(ApiAdminTest, AuthMatrixOnEveryRouteClass) {
  const auto config = TokenConfig();
  auto d = Start(config);
  ASSERT_TRUE(d);
  WaitForBooks(*d, Bearer(kRead));
  auto definition = config["sources"][1];
  definition.erase("id");
  struct Route {
    std::string method;
    std::string path;
    // Expected status for: no token, read token, admin token, wrong token.
    std::array<long, 4> status;
  };
  const std::vector<Route> routes = {
      {"GET", "/healthz", {200, 200, 200, 200}},
      {"GET", "/readyz", {200, 200, 200, 200}},
      {"GET", "/api/v1/openapi.json", {200, 200, 200, 200}},
      {"GET", "/metrics", {200, 200, 200, 401}},
      {"GET", "/api/v1/views", {401, 200, 200, 401}},
      {"GET", "/api/v1/views/books/records", {401, 200, 200, 401}},
      {"GET", "/api/v1/sources", {401, 200, 200, 401}},
      {"GET", "/api/v1/sources/shop", {401, 200, 200, 401}},
      {"GET", "/api/v1/sources/shop/records", {401, 200, 200, 401}},
      {"GET", "/api/v1/changes", {401, 200, 200, 401}},
      {"GET", "/api/v1/changes/stream", {401, 200, 200, 401}},
      {"POST", "/api/v1/sources/shop/refresh", {401, 403, 202, 401}},
      {"POST", "/api/v1/sources/shop/pause", {401, 403, 200, 401}},
      {"POST", "/api/v1/sources/shop/resume", {401, 403, 200, 401}},
      {"POST", "/api/v1/admin/reload", {401, 403, 200, 401}},
      {"POST", "/api/v1/preview", {401, 403, 200, 401}},
  };
  for (const auto& route : routes) {
    const std::vector<std::vector<std::string>> headers = {
        {}, Bearer(kRead), Bearer(kAdmin), Bearer("wrong-token-0123456789abcdef")};
    for (size_t i = 0; i < 4; ++i) {
      const long want = route.status[i];
      if (route.path == "/api/v1/changes/stream") {
        EXPECT_EQ(StatusOnly(*d, route.path, headers[i]), want) << route.path << " case " << i;
        continue;
      }
      const std::string body = route.path == "/api/v1/preview" ? definition.dump() : "";
      auto reply = Call(*d, route.method, route.path, body, headers[i]);
      EXPECT_EQ(reply.status, want)
          << route.method << " " << route.path << " case " << i << " " << reply.body;
      if (want == 401) {
        EXPECT_EQ(reply.headers["www-authenticate"], "Bearer");
        EXPECT_EQ(reply.Json()["error"]["code"], "unauthorized");
      }
      if (want == 403) {
        EXPECT_EQ(reply.Json()["error"]["code"], "forbidden");
      }
    }
  }
  // The record pages read above are cached now (answered on the connection's thread); a
  // request without a valid token still gets none of them.
  for (const char* path : {"/api/v1/views/books/records", "/api/v1/sources/shop/records"}) {
    EXPECT_EQ(Call(*d, "GET", path, "", Bearer(kRead)).status, 200) << path;
    EXPECT_EQ(Call(*d, "GET", path, "", {}).status, 401) << path;
    EXPECT_EQ(Call(*d, "GET", path, "", Bearer("wrong-token-0123456789abcdef")).status, 401);
  }
  // Tokens never reach the log.
  EXPECT_EQ(d->Log().find(kRead), std::string::npos);
  EXPECT_EQ(d->Log().find(kAdmin), std::string::npos);
}

TEST_F(ApiAdminTest, AdminIsDisabledWithoutAnAdminToken) {
  auto d = Start(ApiExampleConfig(origin_, dir_.path() + "/data"));
  ASSERT_TRUE(d);
  for (const std::string path : {"/api/v1/sources/shop/refresh", "/api/v1/sources/shop/pause",
                                 "/api/v1/admin/reload", "/api/v1/preview"}) {
    auto reply = Call(*d, "POST", path, "{}", Bearer(kAdmin));
    EXPECT_EQ(reply.status, 403) << path;
    EXPECT_EQ(reply.Json()["error"]["code"], "admin_disabled") << path;
  }
  // Without read tokens, reads are open.
  EXPECT_EQ(d->Get("/api/v1/views").status, 200);
}

TEST_F(ApiAdminTest, RefreshPauseResumeAndUnknownSources) {
  auto d = Start(TokenConfig());
  ASSERT_TRUE(d);
  WaitForBooks(*d, Bearer(kRead));
  auto before = Call(*d, "GET", "/api/v1/sources/shop", {}, Bearer(kRead)).Json();
  const auto fetches_before = before["recent_fetches"].size();
  auto refresh = Call(*d, "POST", "/api/v1/sources/shop/refresh", {}, Bearer(kAdmin));
  EXPECT_EQ(refresh.status, 202) << refresh.body;
  ASSERT_TRUE(WaitUntil([&] {
    auto now = Call(*d, "GET", "/api/v1/sources/shop", {}, Bearer(kRead)).Json();
    return now["recent_fetches"].size() > fetches_before;
  })) << d->Log();

  EXPECT_EQ(Call(*d, "POST", "/api/v1/sources/shop/pause", {}, Bearer(kAdmin)).status, 200);
  EXPECT_EQ(Call(*d, "GET", "/api/v1/sources/shop", {}, Bearer(kRead)).Json()["paused"], true);
  EXPECT_EQ(Call(*d, "POST", "/api/v1/sources/shop/resume", {}, Bearer(kAdmin)).status, 200);
  EXPECT_EQ(Call(*d, "GET", "/api/v1/sources/shop", {}, Bearer(kRead)).Json()["paused"], false);
  for (const std::string op : {"refresh", "pause", "resume"}) {
    auto reply = Call(*d, "POST", "/api/v1/sources/nope/" + op, {}, Bearer(kAdmin));
    EXPECT_EQ(reply.status, 404) << op;
  }
  EXPECT_EQ(Call(*d, "GET", "/api/v1/sources/shop/refresh", {}, Bearer(kAdmin)).status, 405);
}

TEST_F(ApiAdminTest, ReloadAddsChangesAndRemovesSourcesKeepingUnchangedState) {
  auto config = TokenConfig();
  auto d = Start(config);
  ASSERT_TRUE(d);
  WaitForBooks(*d, Bearer(kRead));
  const auto warehouse_before =
      Call(*d, "GET", "/api/v1/sources/warehouse", {}, Bearer(kRead)).Json()["last_fetch"];

  // A broken file: 422 with the errors, nothing changes.
  std::ofstream(d->config_path()) << R"({"sources": [{"id": "x", "evry": "1m"}]})";
  auto broken = Call(*d, "POST", "/api/v1/admin/reload", {}, Bearer(kAdmin));
  EXPECT_EQ(broken.status, 422);
  EXPECT_EQ(broken.Json()["error"]["code"], "invalid_config");
  EXPECT_FALSE(broken.Json()["error"]["errors"].empty());

  // Add "shop2" (a copy of the shop), change the shop's interval, remove nothing yet.
  auto next = config;
  auto shop2 = config["sources"][0];
  shop2["id"] = "shop2";
  next["sources"].push_back(shop2);
  next["sources"][0]["every"] = "20m";
  std::ofstream(d->config_path()) << next.dump();
  auto reload = Call(*d, "POST", "/api/v1/admin/reload", {}, Bearer(kAdmin));
  ASSERT_EQ(reload.status, 200) << reload.body;
  auto changes = reload.Json()["changes"];
  EXPECT_EQ(changes["sources"]["added"], nlohmann::json({"shop2"}));
  EXPECT_EQ(changes["sources"]["changed"], nlohmann::json({"shop"}));
  EXPECT_EQ(changes["sources"]["removed"], nlohmann::json::array());
  EXPECT_EQ(changes["sources"]["unchanged"], 1);
  // The added source is fetched; the unchanged one keeps its state (not fetched again).
  ASSERT_TRUE(WaitUntil([&] {
    auto s = Call(*d, "GET", "/api/v1/sources/shop2", {}, Bearer(kRead)).Json();
    return s["last_fetch"].is_object();
  })) << d->Log();
  EXPECT_EQ(Call(*d, "GET", "/api/v1/sources/warehouse", {}, Bearer(kRead)).Json()["last_fetch"],
            warehouse_before);
  EXPECT_EQ(
      Call(*d, "GET", "/api/v1/views/books/records", {}, Bearer(kRead)).Json()["records"].size(),
      6u);

  // Remove shop2 again.
  std::ofstream(d->config_path()) << config.dump();
  auto removed = Call(*d, "POST", "/api/v1/admin/reload", {}, Bearer(kAdmin));
  ASSERT_EQ(removed.status, 200);
  EXPECT_EQ(removed.Json()["changes"]["sources"]["removed"], nlohmann::json({"shop2"}));
  EXPECT_EQ(Call(*d, "GET", "/api/v1/sources/shop2", {}, Bearer(kRead)).status, 404);
}

TEST_F(ApiAdminTest, PreviewExtractsWithoutStoring) {
  auto config = TokenConfig();
  auto d = Start(config);
  ASSERT_TRUE(d);
  auto definition = config["sources"][1];
  definition.erase("id");
  auto preview = Call(*d, "POST", "/api/v1/preview", definition.dump(), Bearer(kAdmin));
  ASSERT_EQ(preview.status, 200) << preview.body;
  auto body = preview.Json();
  EXPECT_EQ(body["record_count"], 5);
  EXPECT_EQ(body["records"].size(), 5u);
  EXPECT_EQ(body["fill"]["title"]["filled"], 5);
  EXPECT_EQ(Call(*d, "GET", "/api/v1/sources/preview", {}, Bearer(kRead)).status, 404);

  auto bad =
      Call(*d, "POST", "/api/v1/preview", R"({"url": "http://x", "fields": 3})", Bearer(kAdmin));
  EXPECT_EQ(bad.status, 400);
  EXPECT_FALSE(bad.Json()["error"]["errors"].empty()) << bad.body;
  EXPECT_EQ(Call(*d, "POST", "/api/v1/preview", "not json", Bearer(kAdmin)).status, 400);
  definition["url"] = origin_.Url("/missing.json");
  EXPECT_EQ(Call(*d, "POST", "/api/v1/preview", definition.dump(), Bearer(kAdmin)).status, 502);
}

TEST_F(ApiAdminTest, MetricsScrapeIsValidPrometheusText) {
  auto config = ApiExampleConfig(origin_, dir_.path() + "/data");
  auto d = Start(config);
  ASSERT_TRUE(d);
  WaitForBooks(*d);
  auto scrape = d->Get("/metrics");
  ASSERT_EQ(scrape.status, 200);
  EXPECT_EQ(scrape.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  for (const char* needle :
       {"tributary_fetches_total{source=\"shop\",group=\"host:127.0.0.1\",status=\"200\"}",
        "tributary_fetch_duration_seconds_bucket{source=\"shop\",le=\"+Inf\"}",
        "tributary_fetch_bytes_total{source=\"warehouse\"}", "tributary_pool_workers ",
        "tributary_pool_queue_depth ", "tributary_extraction_records{source=\"shop\"} 5",
        "tributary_extraction_field_fill_ratio{source=\"shop\",field=\"title\"} 1",
        "tributary_store_size_bytes ",
        "tributary_api_requests_total{route=\"/api/v1/views/{id}/records\",method=\"GET\","
        "status=\"200\"}",
        "tributary_api_request_duration_seconds_bucket{route=\"/api/v1/views/{id}/records\""}) {
    EXPECT_NE(scrape.body.find(needle), std::string::npos) << needle << "\n" << scrape.body;
  }
  config["api"]["metrics"] = "off";
  std::ofstream(d->config_path()) << config.dump();
  d->Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil([&] { return d->Get("/metrics").status == 404; }));
  EXPECT_EQ(d->Get("/metrics").Json()["error"]["code"], "metrics_disabled");
}

// promtool (Debian package prometheus; scripts/setup --test installs it) must accept a live
// scrape as it is, with every kind of series present: fetches, pool, extraction, merge, API.
TEST_F(ApiAdminTest, MetricsScrapePassesPromtoolCheck) {
  if (::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool is not installed (Debian package prometheus): run "
                    "scripts/setup --test";
  }
  auto d = Start(TokenConfig());
  ASSERT_TRUE(d);
  WaitForBooks(*d, Bearer(kRead));
  // Errors and other routes too, so that their series exist.
  Call(*d, "GET", "/api/v1/views/nope/records", {}, Bearer(kRead));
  Call(*d, "GET", "/api/v1/changes?since=0&limit=5", {}, Bearer(kRead));
  auto scrape = d->Get("/metrics");
  ASSERT_EQ(scrape.status, 200);
  const std::string path = dir_.Write("scrape.txt", scrape.body);
  const int rc =
      ::system(("promtool check metrics < " + path + " > " + path + ".out 2>&1").c_str());
  std::ifstream out(path + ".out");
  std::string report((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rc, 0) << report << "\n" << scrape.body;
  // Lint findings are reported on stdout with status 0 in some versions: none accepted either.
  EXPECT_EQ(report, "") << report;
}

TEST_F(ApiAdminTest, ChangesLongPollReturnsAfterTheWait) {
  auto d = Start(ApiExampleConfig(origin_, dir_.path() + "/data"));
  ASSERT_TRUE(d);
  const auto latest = d->Get("/api/v1/changes").Json()["latest"].get<int64_t>();
  const auto started = std::chrono::steady_clock::now();
  auto reply = d->Get("/api/v1/changes?since=" + std::to_string(latest + 1000) + "&wait=300ms");
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_TRUE(reply.Json()["changes"].empty());
  EXPECT_GE(waited, std::chrono::milliseconds(250));
}

}  // namespace
}  // namespace tributary::testing
