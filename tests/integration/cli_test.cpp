// The command line as a user meets it: check-config, run-once, usage errors.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/integration/daemon_process.hpp"
#include "tests/support/origin.hpp"

namespace tributary::testing {
namespace {

TEST(CheckConfig, AcceptsTheBundledExample) {
  auto r = RunTributary({"check-config", SourceDir() + "/examples/config.json"},
                        {{"EXAMPLE_ORIGIN", "http://127.0.0.1:1"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(": ok"), std::string::npos);
}

TEST(CheckConfig, PointsAtEveryBrokenKey) {
  TempDir dir;
  const auto path = dir.Write("broken.json", R"json({
    "listen": "127.0.0.1:8080",
    "sources": [
      {"id": "books", "url": "http://127.0.0.1:8000/", "format": "html", "records": "li",
       "key": "title", "evry": "15m",
       "fields": {"title": "h3", "price": {"select": "p.price", "type": "nmber"}}}
    ]
  })json");
  auto r = RunTributary({"check-config", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("sources[0].fields.price.type: unknown type \"nmber\"; expected one of "
                       "string, number, integer, boolean, date, url"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("sources[0].evry"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean \"every\""), std::string::npos) << r.err;
}

TEST(CheckConfig, ReportsSelectorSyntaxErrorsWithTheirPath) {
  TempDir dir;
  const auto path = dir.Write("selector.json", R"json({
    "sources": [
      {"id": "books", "url": "http://127.0.0.1:8000/", "format": "html", "records": "li[",
       "key": "title", "fields": {"title": "h3 a::attr(title)"}}
    ]
  })json");
  auto r = RunTributary({"check-config", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("sources[0].records:"), std::string::npos) << r.err;
}

TEST(CheckConfig, MissingFileAndUsageErrors) {
  auto missing = RunTributary({"check-config", "/nonexistent/config.json"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("/nonexistent/config.json"), std::string::npos);
  auto usage = RunTributary({"frobnicate"});
  EXPECT_EQ(usage.exit_code, 64);
  EXPECT_NE(usage.err.find("unknown command"), std::string::npos);
}

TEST(RunOnce, PrintsEveryViewAsJson) {
  test_support::TestOrigin origin;
  origin.ServeDirectory("/", SourceDir() + "/examples/site");
  auto r = RunTributary({"run-once", "--config", SourceDir() + "/examples/config.json"},
                        {{"EXAMPLE_ORIGIN", origin.Url("")}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out = nlohmann::json::parse(r.out);
  ASSERT_TRUE(out["views"]["books"].is_object()) << r.out;
  EXPECT_EQ(out["views"]["books"]["records"].size(), 6u);
  EXPECT_EQ(out["sources"]["shop"]["record_count"], 5);
  EXPECT_EQ(out["sources"]["warehouse"]["record_count"], 5);
  EXPECT_EQ(origin.Hits("/catalogue/page-1.html"), 1u);
}

TEST(RunOnce, ReportsAFailingSourceAndExits3) {
  test_support::TestOrigin origin;
  origin.ServeDirectory("/", SourceDir() + "/examples/site");
  origin.Route("/api/inventory.json", {404, {}, "gone", {}, false, false});
  auto r = RunTributary({"run-once", "--config", SourceDir() + "/examples/config.json"},
                        {{"EXAMPLE_ORIGIN", origin.Url("")}});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  auto out = nlohmann::json::parse(r.out);
  EXPECT_NE(out["sources"]["warehouse"]["error"].get<std::string>().find("404"), std::string::npos);
  EXPECT_EQ(out["views"]["books"]["records"].size(), 5u);
  EXPECT_NE(r.err.find("source=warehouse"), std::string::npos);
}

}  // namespace
}  // namespace tributary::testing
