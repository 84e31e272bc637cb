// Change detection on real data through the daemon: two country datasets of the corpus served
// in an older version, then in the current one. /api/v1/changes must show, field by field,
// Turkey becoming Türkiye (mledoze) and Bulgaria's currency going from BGN to EUR (country-codes),
// both in the sources' own histories and in the merged view's.
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

const std::string kAdmin = "admin-token-0123456789abcdef";

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

// The first change of `key` in `changes` (with `field` among its field-level differences when
// given), or null. Each source's fetch is its own commit, so one record may change twice.
json ChangeOf(const json& changes, const std::string& key, const std::string& field = "") {
  for (const auto& c : changes) {
    if (c["key"] == key && (field.empty() || c["fields"].contains(field))) return c;
  }
  return json();
}

class MergeHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto dir = CountriesDir();
    for (const char* file :
         {"mledoze_countries/countries.json",
          "mledoze_countries/history/countries@2859516_2024-11-09.json",
          "datasets_country_codes/data/country-codes.csv",
          "datasets_country_codes/history/country-codes@52552b8_2025-06-01.csv"}) {
      if (!std::filesystem::is_regular_file(dir / file)) {
        GTEST_SKIP() << "corpus file " << (dir / file).string()
                     << " not found (set TRIBUTARY_CORPUS to the shared corpus)";
      }
    }
    Serve("/mledoze.json", "application/json",
          "mledoze_countries/history/countries@2859516_2024-11-09.json");
    Serve("/country-codes.csv", "text/csv",
          "datasets_country_codes/history/country-codes@52552b8_2025-06-01.csv");
  }

  // Serves `file` of the countries corpus at `path` until Serve is called again for it.
  void Serve(const std::string& path, const std::string& type, const std::string& file) {
    {
      std::lock_guard lock(mu_);
      bodies_[path] = ReadFile(CountriesDir() / file);
    }
    origin_.Route(path, [this, path, type](const test_support::RecordedRequest&) {
      std::lock_guard lock(mu_);
      return test_support::Response{
          .status = 200, .headers = {{"Content-Type", type}}, .body = bodies_[path]};
    });
  }

  json Config() const {
    return {{"listen", "127.0.0.1:0"},
            {"data_dir", dir_.path() + "/data"},
            {"log", {{"level", "debug"}}},
            {"fetch", {{"allow_private_networks", true}}},
            {"workers", {{"processes", 2}}},
            {"api", {{"tokens", {{{"token", kAdmin}, {"role", "admin"}}}}}},
            {"sources",
             {{{"id", "mledoze"},
               {"url", origin_.Url("/mledoze.json")},
               {"every", "1h"},
               {"format", "json"},
               {"key", "cca2"},
               {"fields", {{"cca2", "/cca2"}, {"name", "/name/common"}}}},
              {{"id", "country_codes"},
               {"url", origin_.Url("/country-codes.csv")},
               {"every", "1h"},
               {"format", "csv"},
               {"key", "alpha2"},
               {"fields",
                {{"alpha2", "ISO3166-1-Alpha-2"},
                 {"name", "CLDR display name"},
                 {"currency", "ISO4217-currency_alphabetic_code"}}}}}},
            {"views",
             {{{"id", "countries"},
               {"key", "code"},
               {"normalize", {"trim", "casefold"}},
               {"sources",
                {{{"id", "mledoze"}, {"fields", {{"code", "cca2"}}}},
                 {{"id", "country_codes"}, {"fields", {{"code", "alpha2"}}}}}}}}}};
  }

  TempDir dir_;
  test_support::TestOrigin origin_;
  std::mutex mu_;
  std::map<std::string, std::string> bodies_;  // Guarded by mu_.
};

TEST_F(MergeHistoryTest, OlderThenCurrentCorpusVersionsShowFieldLevelChanges) {
  std::string error;
  auto d = DaemonProcess::Start(dir_.path(), Config(), &error);
  ASSERT_NE(d, nullptr) << error;
  json bg;
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto reply = d->Get("/api/v1/views/countries/records/bg");
        if (reply.status != 200) return false;
        bg = reply.Json();
        return bg["sources"] == json({"mledoze", "country_codes"});
      },
      std::chrono::seconds(60)))
      << bg.dump() << "\n"
      << d->Log();
  EXPECT_EQ(bg["fields"]["currency"], "BGN");
  EXPECT_EQ(d->Get("/api/v1/views/countries/records/tr").Json()["fields"]["name"], "Turkey");

  // The current versions of both files, fetched now.
  const int64_t since = d->Get("/api/v1/changes?limit=1").Json()["latest"].get<int64_t>();
  Serve("/mledoze.json", "application/json", "mledoze_countries/countries.json");
  Serve("/country-codes.csv", "text/csv", "datasets_country_codes/data/country-codes.csv");
  for (const std::string source : {"mledoze", "country_codes"}) {
    auto reply = HttpRequest("POST", d->base_url() + "/api/v1/sources/" + source + "/refresh", "",
                             {"Authorization: Bearer " + kAdmin});
    ASSERT_EQ(reply.status, 202) << reply.body;
  }
  auto changes_of = [&](const std::string& filter) {
    return d->Get("/api/v1/changes?since=" + std::to_string(since) + "&limit=1000&" + filter)
        .Json()["changes"];
  };
  json view_changes;
  ASSERT_TRUE(WaitUntil(
      [&] {
        view_changes = changes_of("view=countries");
        return ChangeOf(view_changes, "tr", "name").is_object() &&
               ChangeOf(view_changes, "bg", "currency").is_object();
      },
      std::chrono::seconds(60)))
      << d->Log();

  // The sources' own histories, under their own keys.
  const json cc = changes_of("source=country_codes");
  const json cc_bg = ChangeOf(cc, "BG", "currency");
  ASSERT_TRUE(cc_bg.is_object()) << cc.dump().substr(0, 2000);
  EXPECT_EQ(cc_bg["op"], "changed");
  EXPECT_EQ(cc_bg["fields"]["currency"], json({{"before", "BGN"}, {"after", "EUR"}}));
  EXPECT_FALSE(cc_bg["fields"].contains("alpha2"));  // only what changed
  const json ml = changes_of("source=mledoze");
  const json ml_tr = ChangeOf(ml, "TR");
  ASSERT_TRUE(ml_tr.is_object());
  EXPECT_EQ(ml_tr["fields"]["name"], json({{"before", "Turkey"}, {"after", "Türkiye"}}));

  // The merged view's: Bulgaria's currency (only country-codes has one) and Türkiye's name
  // (mledoze first).
  const json view_bg = ChangeOf(view_changes, "bg", "currency");
  EXPECT_EQ(view_bg["op"], "changed");
  EXPECT_EQ(view_bg["fields"]["currency"], json({{"before", "BGN"}, {"after", "EUR"}}));
  EXPECT_EQ(view_bg["after"]["currency"], "EUR");
  const json view_tr = ChangeOf(view_changes, "tr", "name");
  EXPECT_EQ(view_tr["fields"]["name"], json({{"before", "Turkey"}, {"after", "Türkiye"}}));
  // A country neither file changed (Austria) has no change.
  EXPECT_TRUE(ChangeOf(view_changes, "at").is_null()) << ChangeOf(view_changes, "at").dump();

  // As of before the switch (the change before the latest), Bulgaria still pays in leva.
  const json history = d->Get("/api/v1/views/countries/records/bg/history").Json();
  ASSERT_GE(history["changes"].size(), 2u) << history.dump();
  EXPECT_EQ(history["changes"][0]["seq"], view_bg["seq"]);  // newest first
  const std::string before_at = history["changes"][1]["time"];
  auto then = d->Get("/api/v1/views/countries/records/bg?as_of=" + before_at);
  ASSERT_EQ(then.status, 200) << then.body;
  EXPECT_EQ(then.Json()["fields"]["currency"], "BGN");
  auto now = d->Get("/api/v1/views/countries/records/bg").Json();
  EXPECT_EQ(now["fields"]["currency"], "EUR");
  EXPECT_EQ(now["provenance"]["currency"]["source"], "country_codes");
}

}  // namespace
}  // namespace tributary::testing
