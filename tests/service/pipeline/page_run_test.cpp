#include "service/page_run.hpp"

#include <gtest/gtest.h>

namespace tributary::service {
namespace {

merge::Record R(std::string key) {
  merge::Record r;
  r.key = std::move(key);
  return r;
}

config::SourceConfig Source(std::string url) {
  config::SourceConfig s;
  s.id = "s";
  s.url = std::move(url);
  return s;
}

TEST(PageRunTest, ARangeOfOnePageIsThatPage) {
  PageRun run(Source("http://x/p{7..7}"));
  EXPECT_EQ(run.first_url(), "http://x/p7");
  EXPECT_EQ(run.AddPage({R("a")}, "", {}), std::nullopt);
}

TEST(PageRunTest, RangePagesInOrderAndDropsRepeatedKeys) {
  const auto source = Source("http://x/p{1..3}");
  PageRun run(source);
  EXPECT_EQ(run.first_url(), "http://x/p1");
  EXPECT_EQ(run.AddPage({R("a"), R("b")}, "", {}), "http://x/p2");
  EXPECT_EQ(run.AddPage({R("b"), R("c")}, "ignored-when-ranged", {}), "http://x/p3");
  EXPECT_EQ(run.AddPage({R("d")}, "", {}), std::nullopt);
  EXPECT_EQ(run.pages(), 3);
  EXPECT_EQ(run.duplicates(), 1u);
  const auto records = run.TakeRecords();
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[2].key, "c");
}

TEST(PageRunTest, NextLinksStopAtMaxPagesAndLoops) {
  auto source = Source("http://x/1");
  source.extraction.pagination.next = "a.next";
  source.extraction.pagination.max_pages = 3;
  PageRun run(source);
  EXPECT_EQ(run.AddPage({}, "http://x/2", {}), "http://x/2");
  EXPECT_EQ(run.AddPage({}, "http://x/1", {}), std::nullopt);  // a loop back to page 1
  EXPECT_FALSE(run.truncated());
  PageRun capped(source);
  EXPECT_TRUE(capped.AddPage({}, "http://x/2", {}).has_value());
  EXPECT_TRUE(capped.AddPage({}, "http://x/3", {}).has_value());
  EXPECT_EQ(capped.AddPage({}, "http://x/4", {}), std::nullopt);
  EXPECT_TRUE(capped.truncated());
  EXPECT_EQ(capped.pages(), 3);
}

TEST(PageRunTest, LinkHeader) {
  auto source = Source("http://api.x/items?page=1");
  source.extraction.pagination.link_header = true;
  PageRun run(source);
  const fetchers::Headers headers = {
      {"link", "<https://api.x/items?page=1>; rel=\"prev first\", </items?page=2>; rel=\"next\""}};
  EXPECT_EQ(run.AddPage({}, "", headers), "http://api.x/items?page=2");
  EXPECT_EQ(run.AddPage({}, "", {{"link", "<http://api.x/3>; rel=last"}}), std::nullopt);
  PageRun off(Source("http://api.x/items"));
  EXPECT_EQ(off.AddPage({}, "", headers), std::nullopt);
}

TEST(PageRunTest, SumsStatistics) {
  PageRun run(Source("http://x/"));
  run.AddStats({{"candidates", 20}, {"filled", {{"title", 20}, {"price", 19}}}});
  run.AddStats({{"candidates", 5}, {"filled", {{"title", 5}}}});
  EXPECT_EQ(run.stats(),
            (nlohmann::json{{"candidates", 25}, {"filled", {{"title", 25}, {"price", 19}}}}));
}

}  // namespace
}  // namespace tributary::service
