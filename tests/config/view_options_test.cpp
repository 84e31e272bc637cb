// View merge options and history retention as the loader reads them: values, defaults, and
// errors with exact paths (including fields no source provides).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "tests/config/test_util.hpp"

namespace tributary::config {
namespace {

using test_util::Messages;
using test_util::Parse;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

LoadResult WithView(const std::string& view, const std::string& extra = "") {
  return Parse(R"({"sources": [
      {"id": "books", "url": "http://x/", "key": "title", "fields": {"title": "h3", "price": "p"}},
      {"id": "sheet", "url": "http://y/", "key": "name", "fields": {"name": "A", "cost": "B"}}],
    "views": [)" +
               view + "]" + (extra.empty() ? "" : ", " + extra) + "}");
}

TEST(ConfigViewOptions, DefaultsAreAnOuterPriorityMerge) {
  const auto result = WithView(R"({"id": "v", "sources": ["books"]})");
  ASSERT_THAT(Messages(result), IsEmpty());
  const ViewConfig& v = result.config->views[0];
  EXPECT_EQ(v.join, JoinKind::kOuter);
  EXPECT_EQ(v.defaults.strategy, MergeStrategy::kPriority);
  EXPECT_EQ(v.defaults.compare.mode, CompareMode::kExact);
  EXPECT_TRUE(v.normalize.empty());
  EXPECT_FALSE(result.config->history.max_age);
}

TEST(ConfigViewOptions, EveryOptionIsRead) {
  const auto result = WithView(
      R"({"id": "v", "key": "title", "join": "inner", "strategy": "vote",
          "compare": {"mode": "casefold"},
          "normalize": {"title": ["trim", "nfkc", {"map": {"a": "b"}}]},
          "sources": ["books", {"id": "sheet", "fields": {"title": "name", "price": "cost"}}],
          "fields": {"price": {"strategy": "min", "compare": {"tolerance": 0.01,
                     "relative": 0.001, "conflicts": false}}, "title": "latest"}})",
      R"("history": {"max_age": "30d", "max_versions": 10, "prune_every": "5m"})");
  ASSERT_THAT(Messages(result), IsEmpty());
  const ViewConfig& v = result.config->views[0];
  EXPECT_EQ(v.join, JoinKind::kInner);
  EXPECT_EQ(v.defaults.strategy, MergeStrategy::kVote);
  ASSERT_EQ(v.field_normalize.at("title").size(), 3u);
  EXPECT_EQ(v.field_normalize.at("title")[2].map.at("a"), "b");
  const FieldRule& price = v.field_rules.at("price");
  EXPECT_EQ(price.strategy, MergeStrategy::kMin);
  EXPECT_DOUBLE_EQ(price.compare.tolerance, 0.01);
  EXPECT_DOUBLE_EQ(price.compare.relative, 0.001);
  EXPECT_FALSE(price.compare.report_conflicts);
  EXPECT_EQ(price.compare.mode, CompareMode::kCasefold);  // inherited from the view
  // A strategy-only rule keeps the view's default comparison.
  EXPECT_EQ(v.field_rules.at("title").strategy, MergeStrategy::kLatest);
  EXPECT_EQ(v.field_rules.at("title").compare.mode, CompareMode::kCasefold);
  EXPECT_EQ(result.config->history.max_age, std::chrono::hours(24 * 30));
  EXPECT_EQ(result.config->history.max_versions, 10);
  EXPECT_EQ(result.config->history.prune_every, std::chrono::minutes(5));
}

TEST(ConfigViewOptions, FieldsNoSourceProvidesAreErrors) {
  EXPECT_THAT(Messages(WithView(R"({"id": "v", "sources": ["books"],
                                    "fields": {"prize": "min"}})")),
              ElementsAre("views[0].fields.prize: no source of this view provides field "
                          "\"prize\"; did you mean \"price\"?"));
  EXPECT_THAT(Messages(WithView(R"({"id": "v", "sources": ["books"],
                                    "normalize": {"price": ["trim"]}})")),
              ElementsAre("views[0].normalize.price: \"price\" is not a key field of this view; "
                          "its key fields are title"));
  EXPECT_THAT(Messages(WithView(R"({"id": "v", "sources": ["books"], "jion": "inner"})")),
              ElementsAre("views[0].jion: unknown key \"jion\"; did you mean \"join\"?"));
  EXPECT_THAT(Messages(WithView(R"({"id": "v", "sources": ["books"]})",
                                R"("history": {"max_versions": 0})")),
              ElementsAre(::testing::StartsWith("history.max_versions: ")));
}

}  // namespace
}  // namespace tributary::config
