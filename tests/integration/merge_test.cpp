// Merge, compare and remember, as a new user meets it: two real country datasets under
// different field names merged into one view through the real daemon; the API tells for each
// country which source gave each value and where they disagree, how the sources cover the keys,
// and a changed source file shows up in /api/v1/changes as field-level differences.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "tests/integration/daemon_process.hpp"
#include "tests/support/origin.hpp"

namespace tributary::testing {
namespace {

using nlohmann::json;
using test_support::TestOrigin;

std::filesystem::path CountriesDir() {
  std::filesystem::path corpus;
  if (const char* c = std::getenv("TRIBUTARY_CORPUS"); c != nullptr && *c) {
    corpus = c;
  } else {
    corpus = std::filesystem::path(SourceDir()) / ".." / "shared" / "corpus";
  }
  return corpus / "countries";
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const json* FindRecord(const json& records, const std::string& key) {
  for (const auto& r : records) {
    if (r["key"] == key) return &r;
  }
  return nullptr;
}

class MergeDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::is_directory(CountriesDir())) {
      GTEST_SKIP() << "corpus not found (set TRIBUTARY_CORPUS)";
    }
    // mledoze is served from memory so that the test can switch versions.
    mledoze_ =
        ReadFile(CountriesDir() / "mledoze_countries/history/countries@2859516_2024-11-09.json");
    origin_.Route("/mledoze.json", [this](const test_support::RecordedRequest&) {
      std::lock_guard lock(mu_);
      return test_support::Response{
          .status = 200, .headers = {{"Content-Type", "application/json"}}, .body = mledoze_};
    });
    origin_.ServeDirectory("/lukes/", (CountriesDir() / "lukes_iso3166").string());
  }

  json Config() const {
    return json::parse(R"({
      "listen": "127.0.0.1:0",
      "log": {"level": "debug"},
      "fetch": {"allow_private_networks": true},
      "workers": {"processes": 2},
      "sources": [
        {"id": "mledoze", "url": ")" +
                       origin_.Url("/mledoze.json") + R"(", "every": "1s",
         "format": "json", "key": "cca2",
         "fields": {"cca2": "/cca2", "ccn3": "/ccn3", "name": "/name/common",
                    "capital": "/capital/0", "region": "/region"}},
        {"id": "lukes", "url": ")" +
                       origin_.Url("/lukes/all/all.json") + R"(", "every": "1h",
         "format": "json", "key": "alpha-2",
         "fields": {"alpha-2": "/alpha-2", "country-code": "/country-code", "name": "/name",
                    "region": "/region"}}
      ],
      "views": [
        {"id": "countries", "key": "code", "normalize": ["trim", "casefold"],
         "sources": [{"id": "mledoze", "fields": {"code": "cca2"}},
                     {"id": "lukes", "fields": {"code": "alpha-2"}}],
         "fields": {"name": {"compare": {"mode": "normalized"}}}}
      ]})");
  }

  void UseCurrentMledoze() {
    std::lock_guard lock(mu_);
    mledoze_ = ReadFile(CountriesDir() / "mledoze_countries/countries.json");
  }

  TempDir dir_;
  TestOrigin origin_;
  std::mutex mu_;
  std::string mledoze_;  // Guarded by mu_.
};

TEST_F(MergeDaemonTest, CountriesMergeCompareAndChange) {
  json config = Config();
  config["data_dir"] = dir_.path() + "/data";
  std::string error;
  auto d = DaemonProcess::Start(dir_.path(), config, &error);
  ASSERT_NE(d, nullptr) << error;

  // Both sources merged: 250 keys, 249 of them from both.
  json coverage;
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto reply = d->Get("/api/v1/views/countries/coverage");
        if (reply.status != 200) return false;
        coverage = reply.Json();
        return coverage["keys"] == 250 && coverage["combinations"].size() == 2;
      },
      std::chrono::seconds(60)))
      << coverage.dump() << "\n"
      << d->Log();
  EXPECT_EQ(coverage["combinations"][0]["sources"], json({"mledoze", "lukes"}));
  EXPECT_EQ(coverage["combinations"][0]["keys"], 249);
  EXPECT_EQ(coverage["combinations"][1]["sources"], json({"mledoze"}));
  EXPECT_EQ(coverage["combinations"][1]["keys"], 1);
  EXPECT_EQ(coverage["per_source"]["lukes"], 249);
  auto only = d->Get("/api/v1/views/countries/coverage?sources=mledoze").Json();
  EXPECT_EQ(only["keys"], json({"xk"}));

  // One country: which source gave each value, and where the sources disagree.
  auto ci = d->Get("/api/v1/views/countries/records/ci");
  ASSERT_EQ(ci.status, 200) << ci.body;
  json record = ci.Json();
  EXPECT_EQ(record["fields"]["name"], "Ivory Coast");
  EXPECT_EQ(record["provenance"]["name"]["source"], "mledoze");
  EXPECT_EQ(record["provenance"]["country-code"]["source"], "lukes");
  EXPECT_EQ(record["sources"], json({"mledoze", "lukes"}));
  bool name_conflict = false;
  for (const auto& c : record["conflicts"]) {
    if (c["field"] == "name") {
      name_conflict = true;
      EXPECT_EQ(c["values"]["mledoze"], "Ivory Coast");
      EXPECT_EQ(c["values"]["lukes"], "Côte d'Ivoire");
    }
  }
  EXPECT_TRUE(name_conflict) << record.dump();
  // Fields one source has come from it, under its own names.
  auto af = d->Get("/api/v1/views/countries/records/af").Json();
  EXPECT_EQ(af["fields"]["ccn3"], "004");
  EXPECT_EQ(af["fields"]["country-code"], "004");
  EXPECT_EQ(af["provenance"]["ccn3"]["source"], "mledoze");

  // The conflicts listing holds the same record.
  auto conflicts = d->Get("/api/v1/views/countries/conflicts?limit=1000").Json();
  ASSERT_TRUE(conflicts["records"].is_array());
  EXPECT_NE(FindRecord(conflicts["records"], "ci"), nullptr);
  EXPECT_EQ(FindRecord(conflicts["records"], "fr"), nullptr);

  // The old mledoze says "Turkey"; the current one "Türkiye". Switch and watch the changes.
  auto before = d->Get("/api/v1/views/countries/records/tr").Json();
  ASSERT_EQ(before["fields"]["name"], "Turkey");
  // The page listing holds it too (read twice: the second is served from the response cache).
  auto name_in_listing = [&] {
    auto page = d->Get("/api/v1/views/countries/records?limit=1000");
    EXPECT_EQ(page.headers["x-total-count"], "250");
    const json body = page.Json();
    const json* tr = FindRecord(body["records"], "tr");
    return tr ? (*tr)["fields"]["name"].get<std::string>() : std::string("(missing)");
  };
  EXPECT_EQ(name_in_listing(), "Turkey");
  EXPECT_EQ(name_in_listing(), "Turkey");
  const std::string switched_at = d->Get("/api/v1/changes?limit=1").Json()["latest"].dump();
  UseCurrentMledoze();
  json change;
  std::string last_reply;
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto reply = d->Get("/api/v1/changes?view=countries&since=" + switched_at + "&limit=1000");
        last_reply = reply.body.substr(0, 1500);
        if (reply.status != 200) return false;
        const json body = reply.Json();
        for (const auto& c : body["changes"]) {
          if (c["key"] == "tr") change = c;
        }
        return change.is_object();
      },
      std::chrono::seconds(30)))
      << "since " << switched_at << ": " << last_reply;
  EXPECT_EQ(change["op"], "changed");
  EXPECT_EQ(change["fields"]["name"]["before"], "Turkey");
  EXPECT_EQ(change["fields"]["name"]["after"], "Türkiye");
  EXPECT_EQ(change["after"]["name"], "Türkiye");
  EXPECT_EQ(name_in_listing(), "Türkiye");  // no stale page once the change is committed
  // The source's own change is in the feed too, under its own key.
  auto source_changes =
      d->Get("/api/v1/changes?source=mledoze&since=" + switched_at + "&limit=1000").Json();
  const json* tr = FindRecord(source_changes["changes"], "TR");
  ASSERT_NE(tr, nullptr) << source_changes.dump();
  EXPECT_EQ((*tr)["fields"]["name"]["after"], "Türkiye");

  // As of a moment before the change, the record still says Turkey; its history has both.
  auto history = d->Get("/api/v1/views/countries/records/tr/history").Json();
  ASSERT_GE(history["changes"].size(), 2u) << history.dump();
  // The version that said Turkey: whichever source was merged first, the record may have been
  // added from lukes ("Türkiye") and changed to Turkey when mledoze came in.
  std::string turkey_at;
  for (const auto& c : history["changes"]) {  // newest first
    if (c.contains("after") && c["after"].is_object() && c["after"].value("name", "") == "Turkey") {
      turkey_at = c["time"];
      break;
    }
  }
  ASSERT_FALSE(turkey_at.empty()) << history.dump();
  auto then = d->Get("/api/v1/views/countries/records/tr?as_of=" + turkey_at);
  ASSERT_EQ(then.status, 200) << then.body;
  EXPECT_EQ(then.Json()["fields"]["name"], "Turkey");
  EXPECT_EQ(d->Get("/api/v1/views/countries/records/tr").Json()["fields"]["name"], "Türkiye");
  EXPECT_EQ(d->Get("/api/v1/views/countries/records/tr?as_of=2000-01-01T00:00:00Z").status, 404);
  EXPECT_EQ(d->Get("/api/v1/views/countries/records/tr?as_of=yesterday").status, 400);

  // A restart finds everything as it was, without merging again.
  ASSERT_TRUE(d->Terminate());
  d = DaemonProcess::Start(dir_.path(), config, &error);
  ASSERT_NE(d, nullptr) << error;
  auto again = d->Get("/api/v1/views/countries/records/tr");
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(again.Json()["fields"]["name"], "Türkiye");
  EXPECT_EQ(d->Get("/api/v1/views/countries/coverage").Json()["keys"], 250);
}

}  // namespace
}  // namespace tributary::testing
