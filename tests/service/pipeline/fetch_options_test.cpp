// Whether a source obeys robots.txt: the default by format, the per-source override, and what
// reaches the fetch engine from a configuration file.
#include "service/fetch_options.hpp"

#include <gtest/gtest.h>

#include "config/loader.hpp"

namespace tributary::service {
namespace {

using config::Format;
using config::RobotsMode;

config::SourceConfig Source(Format format, RobotsMode robots) {
  config::SourceConfig s;
  s.id = "s";
  s.url = "http://example.com/";
  s.format = format;
  s.fetch.robots = robots;
  return s;
}

TEST(ObeysRobotsTest, DefaultObeysForHtmlAndAutoOnly) {
  EXPECT_TRUE(ObeysRobots(Source(Format::kHtml, RobotsMode::kDefault)));
  // The format of an auto source is known only after the fetch: it may be a page.
  EXPECT_TRUE(ObeysRobots(Source(Format::kAuto, RobotsMode::kDefault)));
  for (Format data : {Format::kJson, Format::kCsv, Format::kFeed, Format::kXml, Format::kText}) {
    EXPECT_FALSE(ObeysRobots(Source(data, RobotsMode::kDefault))) << config::FormatName(data);
  }
}

TEST(ObeysRobotsTest, ExplicitModeWinsOverTheFormat) {
  for (Format f : {Format::kAuto, Format::kHtml, Format::kXml, Format::kFeed, Format::kJson,
                   Format::kCsv, Format::kText}) {
    EXPECT_TRUE(ObeysRobots(Source(f, RobotsMode::kObey))) << config::FormatName(f);
    EXPECT_FALSE(ObeysRobots(Source(f, RobotsMode::kIgnore))) << config::FormatName(f);
  }
}

// From the file to the request: a source that names no format obeys robots.txt.
TEST(ObeysRobotsTest, SourceWithoutFormatKeyObeysThroughApplyFetchPolicy) {
  auto loaded = config::ParseConfig(R"({"sources": [
      {"id": "page", "url": "http://example.com/list", "key": "t", "fields": {"t": "h3"}},
      {"id": "api", "url": "http://example.com/a.json", "format": "json", "key": "t",
       "fields": {"t": "/t"}},
      {"id": "api_obeys", "url": "http://example.com/b.json", "format": "json", "key": "t",
       "fields": {"t": "/t"}, "robots": "obey"},
      {"id": "page_ignores", "url": "http://example.com/p", "key": "t", "fields": {"t": "h3"},
       "robots": "ignore"}]})",
                                    [](const std::string&) { return std::nullopt; });
  ASSERT_TRUE(loaded.config) << (loaded.errors.empty() ? "" : loaded.errors[0].ToString());
  const config::Config& cfg = *loaded.config;
  auto obeys = [&](const std::string& id) {
    const config::SourceConfig* s = cfg.FindSource(id);
    EXPECT_NE(s, nullptr) << id;
    if (s == nullptr) return false;
    fetchers::FetchRequest request;
    ApplyFetchPolicy(cfg, *s, request);
    return request.obey_robots;
  };
  ASSERT_EQ(cfg.FindSource("page")->format, Format::kAuto);
  EXPECT_TRUE(obeys("page"));
  EXPECT_FALSE(obeys("api"));
  EXPECT_TRUE(obeys("api_obeys"));
  EXPECT_FALSE(obeys("page_ignores"));
}

}  // namespace
}  // namespace tributary::service
