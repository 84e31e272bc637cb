#include "common/time.hpp"

#include <gtest/gtest.h>

namespace tributary {
namespace {

TEST(Time, FormatsUtcWithMillis) {
  EXPECT_EQ(FormatRfc3339(FromUnixMillis(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(FromUnixMillis(1764077927123)), "2025-11-25T13:38:47.123Z");
}

TEST(Time, ParsesWhatItFormats) {
  const auto t = FromUnixMillis(1764077927123);
  auto parsed = ParseRfc3339(FormatRfc3339(t));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(ToUnixMillis(*parsed), 1764077927123);
}

TEST(Time, ParsesOffsets) {
  auto a = ParseRfc3339("2025-11-25T15:38:47+02:00");
  auto b = ParseRfc3339("2025-11-25T13:38:47Z");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
}

TEST(Time, RejectsMalformed) {
  EXPECT_FALSE(ParseRfc3339(""));
  EXPECT_FALSE(ParseRfc3339("2025-13-01T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2025-02-30T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2025-11-25T13:38:47"));
  EXPECT_FALSE(ParseRfc3339("2025-11-25T13:38:47Zjunk"));
  EXPECT_FALSE(ParseRfc3339("2025-11-25T13:38:47."));
}

}  // namespace
}  // namespace tributary
