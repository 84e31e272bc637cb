// Durations and sizes as the configuration writes them.
#include "config/loader.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>

namespace tributary::config {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(ConfigDuration, ParsesEachUnit) {
  EXPECT_EQ(ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(ParseDuration("30s"), seconds(30));
  EXPECT_EQ(ParseDuration("15m"), minutes(15));
  EXPECT_EQ(ParseDuration("2h"), hours(2));
  EXPECT_EQ(ParseDuration("1d"), hours(24));
}

TEST(ConfigDuration, ParsesCompoundsAndFractions) {
  EXPECT_EQ(ParseDuration("1h30m"), minutes(90));
  EXPECT_EQ(ParseDuration("1m30s500ms"), milliseconds(90'500));
  EXPECT_EQ(ParseDuration("1.5s"), milliseconds(1500));
  EXPECT_EQ(ParseDuration("0.25h"), minutes(15));
  EXPECT_EQ(ParseDuration("0s"), milliseconds(0));
  EXPECT_EQ(ParseDuration("0"), milliseconds(0));
}

TEST(ConfigDuration, RejectsMalformed) {
  for (const char* bad : {"", "30", "s", "30 s", " 30s", "30s ", "30sec", "1.s", ".s", "-5s", "5x",
                          "1h30", "1e3ms", "30S"}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
}

TEST(ConfigDuration, RejectsOverflow) {
  EXPECT_FALSE(ParseDuration("99999999999999999999d").has_value());
  EXPECT_FALSE(ParseDuration("9223372036854775807d").has_value());
  EXPECT_FALSE(ParseDuration("9223372036854775807ms1ms").has_value());
  EXPECT_EQ(ParseDuration("9223372036854775807ms"),
            milliseconds(std::numeric_limits<int64_t>::max()));
}

TEST(ConfigDuration, FormatsCompactly) {
  EXPECT_EQ(FormatDuration(minutes(90)), "1h30m");
  EXPECT_EQ(FormatDuration(milliseconds(500)), "500ms");
  EXPECT_EQ(FormatDuration(minutes(15)), "15m");
  EXPECT_EQ(FormatDuration(hours(48)), "2d");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1s500ms");
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(-1500)), "-1s500ms");
}

TEST(ConfigDuration, FormatThenParseRoundTrips) {
  for (int64_t ms : {int64_t{1}, int64_t{999}, int64_t{1000}, int64_t{61'001}, int64_t{3'600'000},
                     int64_t{90'061'001}, int64_t{86'400'000} * 400}) {
    const auto text = FormatDuration(milliseconds(ms));
    EXPECT_EQ(ParseDuration(text), milliseconds(ms)) << text;
  }
}

TEST(ConfigSize, ParsesPlainByteCounts) {
  EXPECT_EQ(ParseSize("4096"), 4096u);
  EXPECT_EQ(ParseSize("0"), 0u);
  EXPECT_EQ(ParseSize("10B"), 10u);
}

TEST(ConfigSize, ParsesBinaryAndDecimalUnits) {
  EXPECT_EQ(ParseSize("512KiB"), 512u * 1024);
  EXPECT_EQ(ParseSize("16MiB"), 16ull << 20);
  EXPECT_EQ(ParseSize("1GiB"), 1ull << 30);
  EXPECT_EQ(ParseSize("2TiB"), 2ull << 40);
  EXPECT_EQ(ParseSize("10KB"), 10'000u);
  EXPECT_EQ(ParseSize("10MB"), 10'000'000u);
  EXPECT_EQ(ParseSize("1GB"), 1'000'000'000u);
  EXPECT_EQ(ParseSize("3TB"), 3'000'000'000'000u);
}

TEST(ConfigSize, UnitsIgnoreCase) {
  EXPECT_EQ(ParseSize("16mib"), 16ull << 20);
  EXPECT_EQ(ParseSize("10kb"), 10'000u);
}

TEST(ConfigSize, FractionsOfAUnitAreTruncatedToBytes) {
  EXPECT_EQ(ParseSize("1.5MiB"), 1'572'864u);
  EXPECT_EQ(ParseSize("1.5KB"), 1500u);
  EXPECT_EQ(ParseSize("0.1KiB"), 102u);
  EXPECT_EQ(ParseSize("0.999999999999TiB"), 1'099'511'626'676u);  // 9 digits kept
}

TEST(ConfigSize, RejectsMalformed) {
  for (const char* bad :
       {"", "MiB", "16M", "16 MiB", "16MiBs", "-1", "1.5", "1.5B", "1e3", "0x10", "16mb/s"}) {
    EXPECT_FALSE(ParseSize(bad).has_value()) << bad;
  }
}

TEST(ConfigSize, RejectsOverflow) {
  EXPECT_FALSE(ParseSize("99999999999999999999").has_value());
  EXPECT_FALSE(ParseSize("9999999999TiB").has_value());
}

}  // namespace
}  // namespace tributary::config
