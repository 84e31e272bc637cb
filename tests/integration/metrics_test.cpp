// /metrics as an operator scrapes it from the real daemon (issue 6, Observability): a source
// retried after a 503, one denied by robots.txt (an html page without a "format": robots.txt is
// obeyed by default), a politeness group whose circuit opens, a view whose sources disagree, a
// 304, and a redirect whose final URL GET /api/v1/sources/{id} shows. Every family the README
// lists is checked by its labelled sample values, and promtool (when installed) accepts it all.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <regex>
#include <sstream>

#include "tests/integration/daemon_process.hpp"
#include "tests/support/origin.hpp"

namespace tributary::testing {
namespace {

using nlohmann::json;
using test_support::Response;
using test_support::TestOrigin;

const std::string kHost = "host:127.0.0.1";  // the implicit group of every origin route

Response JsonBody(json body, std::string etag = {}) {
  return Response{.status = 200,
                  .headers = {{"Content-Type", "application/json"}},
                  .body = body.dump(),
                  .etag = std::move(etag)};
}

json JsonSource(const std::string& id, const std::string& url, const std::string& every = "1h") {
  return {{"id", id},         {"url", url},  {"every", every},
          {"format", "json"}, {"key", "id"}, {"fields", {{"id", "/id"}, {"price", "/price"}}}};
}

// The value of the sample `series` (name and labels exactly as exposed), if present.
std::optional<double> Sample(const std::string& scrape, const std::string& series) {
  std::istringstream lines(scrape);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

std::string TypeOf(const std::string& scrape, const std::string& family) {
  const std::string prefix = "# TYPE " + family + " ";
  const size_t at = scrape.find(prefix);
  if (at == std::string::npos) return "";
  return scrape.substr(at + prefix.size(), scrape.find('\n', at) - at - prefix.size());
}

// Family name (without "tributary_") -> its label names as exposed ("le" left out), from a
// scrape's TYPE lines and first samples.
std::map<std::string, std::string> Families(const std::string& scrape) {
  std::map<std::string, std::string> families;
  std::istringstream lines(scrape);
  std::string family;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE tributary_", 0) == 0) {
      family = line.substr(17, line.find(' ', 17) - 17);
      families[family] = "";
      continue;
    }
    if (line.empty() || line[0] == '#' || family.empty()) continue;
    const size_t open = line.find('{');
    if (open == std::string::npos || !families[family].empty()) continue;
    // "a=\"x\",b=\"y\"" -> "a,b"; values never hold '=' in this test.
    std::string labels;
    for (size_t at = open + 1; at < line.size() && line[at] != '}';) {
      const size_t eq = line.find('=', at);
      const std::string name = line.substr(at, eq - at);
      if (name != "le") labels += (labels.empty() ? "" : ",") + name;
      at = line.find('"', line.find('"', eq) + 1) + 1;
      if (line[at] == ',') ++at;
    }
    families[family] = labels;
  }
  return families;
}

// The README's metric list: from "`/metrics` exposes" to the next section, each family as
// "name" -> "labels" (as in `name{a,b}`; "" for `name`).
std::map<std::string, std::string> ReadmeFamilies() {
  std::ifstream in(SourceDir() + "/README.md");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t begin = text.find("`/metrics` exposes");
  const size_t end = text.find("\n## ", begin);
  const std::string list = text.substr(begin, end - begin);
  // Families start like this; label values (`retryable`, `crash` ...) do not.
  const std::regex family(
      "`((?:pool|store|extraction|fetch|fetches|api|view|merge|merges|robots|circuit|webhook)_"
      "[a-z_]+|up)(?:\\{([a-z_,]+)\\})?`");
  std::map<std::string, std::string> out;
  for (auto it = std::sregex_iterator(list.begin(), list.end(), family);
       it != std::sregex_iterator(); ++it) {
    out[(*it)[1]] = (*it)[2];
  }
  return out;
}

class MetricsDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    origin_.RouteSequence("/flaky.json",
                          {{503, {}, "busy"}, JsonBody(json::array({{{"id", "f"}}}))});
    origin_.Route("/broken.json", {503, {}, "down for good"});
    origin_.Route("/robots.txt",
                  {200, {{"Content-Type", "text/plain"}}, "User-agent: *\nDisallow: /private/\n"});
    origin_.Route("/private/page.html", {200, {{"Content-Type", "text/html"}}, "<li>no</li>"});
    // The sources of view "prices" agree about "y" and disagree about the price of "x".
    origin_.Route(
        "/a.json",
        JsonBody(json::array({{{"id", "x"}, {"price", 1}}, {{"id", "y"}, {"price", 5}}})));
    origin_.Route(
        "/b.json",
        JsonBody(json::array({{{"id", "x"}, {"price", 2}}, {{"id", "y"}, {"price", 5}}})));
    origin_.Route("/etag.json", JsonBody(json::array({{{"id", "e"}}}), "\"v1\""));
    origin_.Route("/old.json", {302, {{"Location", "/a.json"}}, ""});
  }

  json Config() const {
    json sources = json::array();
    sources.push_back(JsonSource("flaky", origin_.Url("/flaky.json")));
    json broken = JsonSource("broken", origin_.Url("/broken.json"));
    broken["group"] = "broken";
    sources.push_back(broken);
    // No "format": auto, which obeys robots.txt unless told otherwise.
    sources.push_back({{"id", "private"},
                       {"url", origin_.Url("/private/page.html")},
                       {"every", "1h"},
                       {"records", "li"},
                       {"key", "name"},
                       {"fields", {{"name", "li::text"}}}});
    sources.push_back(JsonSource("a", origin_.Url("/a.json")));
    sources.push_back(JsonSource("b", origin_.Url("/b.json")));
    sources.push_back(JsonSource("etag", origin_.Url("/etag.json"), "1s"));
    sources.push_back(JsonSource("moved", origin_.Url("/old.json")));
    return {{"listen", "127.0.0.1:0"},
            {"data_dir", dir_.path() + "/data"},
            {"log", {{"level", "debug"}}},
            {"fetch",
             {{"allow_private_networks", true},
              {"startup_spread", "100ms"},
              {"retry", {{"attempts", 3}, {"base", "20ms"}, {"cap", "1s"}}},
              // Two failures in a row open a group's circuit, for longer than the test runs.
              {"circuit", {{"failures", 2}, {"cooldown", "1h"}}}}},
            {"groups", {{"broken", {{"concurrency", 1}}}}},
            {"workers", {{"processes", 1}}},
            {"sources", sources},
            {"views", {{{"id", "prices"}, {"sources", {"a", "b"}}, {"key", "id"}}}}};
  }

  TempDir dir_;
  TestOrigin origin_;
};

TEST_F(MetricsDaemonTest, ScrapeShowsEveryFamilyWithItsLabelledValues) {
  std::string error;
  auto d = DaemonProcess::Start(dir_.path(), Config(), &error);
  ASSERT_TRUE(d) << error;

  const std::string flaky_200 =
      "tributary_fetches_total{source=\"flaky\",group=\"" + kHost + "\",status=\"200\"}";
  const std::string conflicts = "tributary_merge_conflicts{view=\"prices\"}";
  std::string scrape;
  const bool settled = WaitUntil(
      [&] {
        auto reply = d->Get("/metrics");
        if (reply.status != 200) return false;
        scrape = reply.body;
        return Sample(scrape, flaky_200) &&
               Sample(scrape,
                      "tributary_fetches_total{source=\"broken\",group=\"group:broken\","
                      "status=\"503\"}") &&
               Sample(scrape, "tributary_robots_denials_total{source=\"private\"}") &&
               Sample(scrape, "tributary_fetch_not_modified_total{source=\"etag\"}").value_or(0) >=
                   1 &&
               Sample(scrape, "tributary_extraction_records{source=\"moved\"}") &&
               Sample(scrape, conflicts) == 1.0;
      },
      std::chrono::seconds(40));
  ASSERT_TRUE(settled) << scrape << "\nlog:\n" << d->Log();

  // Retries, by source and politeness group: one 503 then a 200; two 503s open the circuit,
  // which stops the retries of "broken" after one.
  EXPECT_EQ(TypeOf(scrape, "tributary_fetch_retries_total"), "counter");
  EXPECT_EQ(
      Sample(scrape, "tributary_fetch_retries_total{source=\"flaky\",group=\"" + kHost + "\"}"),
      1.0)
      << scrape;
  EXPECT_EQ(
      Sample(scrape, "tributary_fetch_retries_total{source=\"broken\",group=\"group:broken\"}"),
      1.0);
  EXPECT_FALSE(
      Sample(scrape, "tributary_fetch_retries_total{source=\"a\",group=\"" + kHost + "\"}"));
  EXPECT_EQ(origin_.Hits("/flaky.json"), 2u);
  EXPECT_EQ(origin_.Hits("/broken.json"), 2u);

  // Fetches by source, group and status: a run counts once, after its retries.
  EXPECT_EQ(TypeOf(scrape, "tributary_fetches_total"), "counter");
  EXPECT_EQ(Sample(scrape, flaky_200), 1.0);
  EXPECT_FALSE(Sample(
      scrape, "tributary_fetches_total{source=\"flaky\",group=\"" + kHost + "\",status=\"503\"}"));
  EXPECT_EQ(Sample(scrape,
                   "tributary_fetches_total{source=\"broken\",group=\"group:broken\","
                   "status=\"503\"}"),
            1.0);
  EXPECT_EQ(Sample(scrape,
                   "tributary_fetches_total{source=\"a\",group=\"" + kHost + "\",status=\"200\"}"),
            1.0);
  // Denied by robots.txt: no request, no status.
  EXPECT_EQ(Sample(scrape, "tributary_fetches_total{source=\"private\",group=\"" + kHost +
                               "\",status=\"error\"}"),
            1.0);
  EXPECT_EQ(Sample(scrape, "tributary_fetch_failures_total{source=\"broken\",class=\"retryable\"}"),
            1.0);

  // robots.txt denials, by source; the page itself was never requested.
  EXPECT_EQ(TypeOf(scrape, "tributary_robots_denials_total"), "counter");
  EXPECT_EQ(Sample(scrape, "tributary_robots_denials_total{source=\"private\"}"), 1.0);
  EXPECT_FALSE(Sample(scrape, "tributary_robots_denials_total{source=\"a\"}"));
  EXPECT_EQ(origin_.Hits("/private/page.html"), 0u);
  EXPECT_EQ(origin_.Hits("/robots.txt"), 1u);

  // Circuit state per group: "broken" open (2), the shared host group closed (0).
  EXPECT_EQ(TypeOf(scrape, "tributary_circuit_state"), "gauge");
  EXPECT_EQ(Sample(scrape, "tributary_circuit_state{group=\"group:broken\"}"), 2.0);
  EXPECT_EQ(Sample(scrape, "tributary_circuit_state{group=\"" + kHost + "\"}"), 0.0);

  // Merge conflicts and records per view, and merges stored. The number of merges depends on
  // how the start-up merge and the two sources' first runs interleave, so only "some".
  EXPECT_EQ(TypeOf(scrape, "tributary_merge_conflicts"), "gauge");
  EXPECT_EQ(Sample(scrape, conflicts), 1.0);
  EXPECT_EQ(Sample(scrape, "tributary_view_records{view=\"prices\"}"), 2.0);
  EXPECT_EQ(TypeOf(scrape, "tributary_merges_total"), "counter");
  EXPECT_GE(Sample(scrape, "tributary_merges_total{view=\"prices\"}").value_or(0), 1.0);

  // 304s, bytes, durations, extraction records and fill ratios per source.
  EXPECT_GE(Sample(scrape, "tributary_fetch_not_modified_total{source=\"etag\"}").value_or(0), 1.0);
  const double a_bytes = static_cast<double>(
      json::array({{{"id", "x"}, {"price", 1}}, {{"id", "y"}, {"price", 5}}}).dump().size());
  EXPECT_EQ(Sample(scrape, "tributary_fetch_bytes_total{source=\"a\"}"), a_bytes);
  EXPECT_EQ(TypeOf(scrape, "tributary_fetch_duration_seconds"), "histogram");
  EXPECT_EQ(Sample(scrape, "tributary_fetch_duration_seconds_count{source=\"a\"}"), 1.0);
  EXPECT_EQ(Sample(scrape, "tributary_fetch_duration_seconds_bucket{source=\"a\",le=\"+Inf\"}"),
            1.0);
  EXPECT_EQ(Sample(scrape, "tributary_extraction_records{source=\"a\"}"), 2.0);
  EXPECT_EQ(Sample(scrape, "tributary_extraction_field_fill_ratio{source=\"a\",field=\"price\"}"),
            1.0);

  // The worker pool: counts since start are counters; states are gauges.
  EXPECT_EQ(TypeOf(scrape, "tributary_pool_jobs_total"), "counter");
  // Extractions of flaky, a, b, moved, etag at least, plus merges.
  EXPECT_GE(Sample(scrape, "tributary_pool_jobs_total{outcome=\"completed\"}").value_or(0), 5.0);
  EXPECT_EQ(Sample(scrape, "tributary_pool_jobs_total{outcome=\"failed\"}"), 0.0);
  EXPECT_EQ(TypeOf(scrape, "tributary_pool_worker_losses_total"), "counter");
  EXPECT_EQ(Sample(scrape, "tributary_pool_worker_losses_total{cause=\"crash\"}"), 0.0);
  EXPECT_EQ(TypeOf(scrape, "tributary_pool_respawns_total"), "counter");
  EXPECT_EQ(TypeOf(scrape, "tributary_extraction_jobs_total"), "counter");
  EXPECT_EQ(Sample(scrape, "tributary_extraction_jobs_total{source=\"a\",outcome=\"completed\"}"),
            1.0);
  EXPECT_EQ(TypeOf(scrape, "tributary_extraction_quarantines_total"), "counter");
  EXPECT_EQ(Sample(scrape, "tributary_extraction_quarantines_total{source=\"a\"}"), 0.0);
  EXPECT_EQ(Sample(scrape, "tributary_extraction_quarantined{source=\"a\"}"), 0.0);
  EXPECT_EQ(Sample(scrape, "tributary_pool_workers"), 1.0);
  EXPECT_TRUE(Sample(scrape, "tributary_pool_queue_depth"));
  for (const char* gauge_of_a_count :
       {"tributary_pool_jobs", "tributary_pool_worker_losses", "tributary_pool_respawns",
        "tributary_extraction_jobs", "tributary_extraction_quarantines"}) {
    EXPECT_EQ(TypeOf(scrape, gauge_of_a_count), "") << gauge_of_a_count;
  }

  // The API's own requests and the store.
  EXPECT_GE(Sample(scrape,
                   "tributary_api_requests_total{route=\"/metrics\",method=\"GET\","
                   "status=\"200\"}")
                .value_or(0),
            1.0);
  EXPECT_EQ(TypeOf(scrape, "tributary_api_request_duration_seconds"), "histogram");
  EXPECT_GT(Sample(scrape, "tributary_store_size_bytes").value_or(0), 0.0);

  // The API's caches. A page read twice with no commit in between is found the second time
  // (the sources here keep fetching, so a commit may fall between two reads: read again).
  const std::string page = d->base_url() + "/api/v1/views/prices/records";
  const std::string page_hits =
      "tributary_api_cache_lookups_total{cache=\"pages\",outcome=\"hit\"}";
  std::string after;
  EXPECT_TRUE(WaitUntil([&] {
    for (int i = 0; i < 2; ++i) EXPECT_EQ(HttpRequest("GET", page).status, 200);
    after = d->Get("/metrics").body;
    return Sample(after, page_hits).value_or(0) >= 1;
  })) << after;
  EXPECT_GE(Sample(after, "tributary_api_cache_lookups_total{cache=\"pages\",outcome=\"miss\"}")
                .value_or(0),
            1.0);
  EXPECT_GT(Sample(after, "tributary_api_cache_bytes{cache=\"pages\"}").value_or(0), 0.0);
  EXPECT_EQ(TypeOf(after, "tributary_api_cache_lookups_total"), "counter");
  EXPECT_EQ(TypeOf(after, "tributary_api_cache_bytes"), "gauge");

  // The redirect's final URL, in the source's explanation.
  auto moved = d->Get("/api/v1/sources/moved").Json();
  EXPECT_EQ(moved["fetch"]["last"]["final_url"], origin_.Url("/a.json")) << moved.dump(2);
  auto a = d->Get("/api/v1/sources/a").Json();
  EXPECT_EQ(a["fetch"]["last"]["final_url"], origin_.Url("/a.json"));

  // The README lists exactly what is exported, with the same labels; the API's stream and
  // webhook families appear from their first use, which this test does not make; a source's
  // worker losses from its first loss (pool_isolation_test sees them): here the family is
  // declared, without samples.
  auto documented = ReadmeFamilies();
  for (const char* unused :
       {"api_stream_clients", "api_stream_overflows_total", "webhook_deliveries_total"}) {
    EXPECT_EQ(documented.erase(unused), 1u) << unused;
  }
  EXPECT_EQ(documented["extraction_worker_losses_total"], "source,cause");
  documented["extraction_worker_losses_total"] = "";
  EXPECT_EQ(Families(scrape), documented);

  // promtool, when installed (Debian package prometheus), accepts the scrape as it is.
  if (std::system("command -v promtool >/dev/null 2>&1") == 0) {
    const std::string path = dir_.Write("scrape.txt", scrape);
    const int rc =
        std::system(("promtool check metrics < " + path + " > " + path + ".out 2>&1").c_str());
    std::ifstream out(path + ".out");
    std::string report((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
    EXPECT_EQ(rc, 0) << report;
  }
}

}  // namespace
}  // namespace tributary::testing
