// Backoff with full jitter and Retry-After parsing (seconds and the three HTTP-date forms).
#include "fetchers/retry_timing.hpp"

#include <gtest/gtest.h>

namespace tributary::fetchers {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(Backoff, CeilingDoublesUpToTheCap) {
  EXPECT_EQ(BackoffCeiling(1, milliseconds(100), seconds(1)), milliseconds(100));
  EXPECT_EQ(BackoffCeiling(2, milliseconds(100), seconds(1)), milliseconds(200));
  EXPECT_EQ(BackoffCeiling(4, milliseconds(100), seconds(1)), milliseconds(800));
  EXPECT_EQ(BackoffCeiling(5, milliseconds(100), seconds(1)), milliseconds(1000));
  EXPECT_EQ(BackoffCeiling(60, milliseconds(100), seconds(1)), milliseconds(1000));
  EXPECT_EQ(BackoffCeiling(0, milliseconds(100), seconds(1)), milliseconds(100));
}

TEST(Backoff, FullJitterStaysWithinTheCeilingAndSpreads) {
  std::mt19937_64 rng(42);
  int64_t low = 1 << 30, high = 0;
  for (int i = 0; i < 2000; ++i) {
    const auto d = FullJitterBackoff(3, milliseconds(100), seconds(10), rng).count();
    EXPECT_GE(d, 0);
    EXPECT_LE(d, 400);
    low = std::min(low, d);
    high = std::max(high, d);
  }
  // Full jitter: the whole range [0, ceiling] is used, not just near the ceiling.
  EXPECT_LT(low, 40);
  EXPECT_GT(high, 360);
}

TEST(RetryAfter, SecondsAreCapped) {
  const auto now = std::chrono::system_clock::now();
  EXPECT_EQ(ParseRetryAfter("3", now, seconds(60)), milliseconds(3000));
  EXPECT_EQ(ParseRetryAfter(" 120 ", now, seconds(60)), milliseconds(60000));
  EXPECT_EQ(ParseRetryAfter("99999999999", now, seconds(60)), milliseconds(60000));
  EXPECT_EQ(ParseRetryAfter("0", now, seconds(60)), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-5", now, seconds(60)), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon", now, seconds(60)), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("", now, seconds(60)), std::nullopt);
}

TEST(RetryAfter, HttpDatesInTheFutureWaitAndInThePastAreIgnored) {
  const auto now = *ParseHttpDate("Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now, seconds(60)),
            milliseconds(30000));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 09:28:30 GMT", now, seconds(60)),
            milliseconds(60000));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now, seconds(60)), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now, seconds(60)), std::nullopt);
}

TEST(HttpDate, ParsesTheThreeFormsAndRoundTrips) {
  const auto fix = ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT");
  ASSERT_TRUE(fix);
  EXPECT_EQ(ToUnixMillis(*fix), 784111777000);
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), fix);
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), fix);
  EXPECT_EQ(FormatHttpDate(*fix), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_FALSE(ParseHttpDate("Sun, 06 Foo 1994 08:49:37 GMT"));
  EXPECT_FALSE(ParseHttpDate("Sun, 06 Nov 1994 25:49:37 GMT"));
  EXPECT_FALSE(ParseHttpDate("yesterday"));
}

}  // namespace
}  // namespace tributary::fetchers
