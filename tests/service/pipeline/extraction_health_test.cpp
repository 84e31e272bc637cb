#include "service/extraction_health.hpp"

#include <gtest/gtest.h>

namespace tributary::service {
namespace {

config::SourceConfig Source() {
  config::SourceConfig s;
  s.id = "shop";
  config::FieldSpec title;
  title.name = "title";
  config::FieldSpec price;
  price.name = "price";
  s.fields = {title, price};
  return s;
}

const SystemTime kAt = FromUnixMillis(1'700'000'000'000);

TEST(ExtractionHealthTest, FillRatiosPerField) {
  ExtractionHealth health;
  EXPECT_TRUE(health.SourceJson("shop").is_null());
  const auto verdict =
      health.Evaluate(Source(), kAt, 20, 1, false, {{"filled", {{"title", 20}, {"price", 15}}}});
  EXPECT_FALSE(verdict.flagged);
  const auto json = health.SourceJson("shop");
  EXPECT_EQ(json["last_run"]["records"], 20);
  EXPECT_EQ(json["last_run"]["fill"], (nlohmann::json{{"title", 1.0}, {"price", 0.75}}));
  EXPECT_EQ(json["last_good"]["records"], 20);
}

TEST(ExtractionHealthTest, ADropBeyondTheShareIsFlaggedAndKeepsThePreviousSnapshot) {
  ExtractionHealth health;
  health.Seed("shop", 980);
  EXPECT_TRUE(health.Known("shop"));
  auto verdict = health.Evaluate(Source(), kAt, 500, 1, false, {});  // 49 % less: fine
  EXPECT_FALSE(verdict.flagged);
  verdict = health.Evaluate(Source(), kAt, 20, 1, false, {});
  EXPECT_TRUE(verdict.flagged);
  EXPECT_TRUE(verdict.keep_previous);
  EXPECT_EQ(verdict.reason,
            "record count dropped from 500 to 20 (96%, more than 50%); keeping the previous "
            "snapshot");
  // The last good run stays 500, so the next bad run is compared with it too.
  EXPECT_EQ(health.SourceJson("shop")["last_good"]["records"], 500);
  EXPECT_TRUE(health.SourceJson("shop")["last_run"]["flagged"].get<bool>());
}

TEST(ExtractionHealthTest, SourcesCanAcceptDropsOrDisableTheCheck) {
  auto accept = Source();
  accept.extraction.health.keep_previous = false;
  ExtractionHealth health;
  health.Seed("shop", 100);
  auto verdict = health.Evaluate(accept, kAt, 10, 1, false, {});
  EXPECT_TRUE(verdict.flagged);
  EXPECT_FALSE(verdict.keep_previous);
  EXPECT_EQ(health.SourceJson("shop")["last_good"]["records"], 10);
  auto off = Source();
  off.extraction.health.max_drop.reset();
  EXPECT_FALSE(health.Evaluate(off, kAt, 0, 1, false, {}).flagged);
}

}  // namespace
}  // namespace tributary::service
