// Cron expressions and their next firing in a time zone, across daylight-saving changes.
#include "service/scheduler/cron_schedule.hpp"

#include <gtest/gtest.h>

namespace tributary::service::scheduler {
namespace {

config::CronSpec Spec(const std::string& text) {
  std::string why;
  auto spec = config::CronSpec::Parse(text, why);
  EXPECT_TRUE(spec) << text << ": " << why;
  return spec.value_or(config::CronSpec{});
}

SystemTime At(const std::string& rfc3339) { return *ParseRfc3339(rfc3339); }

std::string Next(const std::string& cron, const std::string& zone, const std::string& after) {
  auto t = NextCronTime(Spec(cron), LoadZone(zone), At(after));
  return t ? FormatRfc3339(*t) : "never";
}

TEST(CronSpec, RejectsMalformedExpressions) {
  std::string why;
  EXPECT_FALSE(config::CronSpec::Parse("* * * *", why));
  EXPECT_NE(why.find("5 fields"), std::string::npos);
  EXPECT_FALSE(config::CronSpec::Parse("61 * * * *", why));
  EXPECT_FALSE(config::CronSpec::Parse("*/0 * * * *", why));
  EXPECT_FALSE(config::CronSpec::Parse("* * * foo *", why));
  EXPECT_TRUE(config::CronSpec::Parse("0 9 * jan-mar mon-fri", why));
  EXPECT_TRUE(config::CronSpec::Parse("@daily", why));
  EXPECT_TRUE(config::CronSpec::Parse("0 0 * * 7", why));
}

TEST(CronSchedule, StepsRangesAndLists) {
  EXPECT_EQ(Next("*/15 * * * *", "UTC", "2026-03-01T10:07:00Z"), "2026-03-01T10:15:00.000Z");
  EXPECT_EQ(Next("0 9,17 * * *", "UTC", "2026-03-01T10:00:00Z"), "2026-03-01T17:00:00.000Z");
  EXPECT_EQ(Next("30 6 1 * *", "UTC", "2026-03-01T10:00:00Z"), "2026-04-01T06:30:00.000Z");
  // 2026-03-01 is a Sunday: the next weekday 09:00 is Monday.
  EXPECT_EQ(Next("0 9 * * mon-fri", "UTC", "2026-03-01T10:00:00Z"), "2026-03-02T09:00:00.000Z");
  EXPECT_EQ(Next("0 0 * * 7", "UTC", "2026-03-02T00:00:00Z"), "2026-03-08T00:00:00.000Z");
  // Strictly after: a time on the schedule itself moves on.
  EXPECT_EQ(Next("0 * * * *", "UTC", "2026-03-01T10:00:00Z"), "2026-03-01T11:00:00.000Z");
}

TEST(CronSchedule, BothDayFieldsMeanEither) {
  // The 13th, or any Friday: from Monday 2026-03-02 the first is Friday the 6th.
  EXPECT_EQ(Next("0 0 13 * fri", "UTC", "2026-03-02T00:00:00Z"), "2026-03-06T00:00:00.000Z");
}

TEST(CronSchedule, TimeZonesAndDaylightSaving) {
  // 09:00 in Paris is 08:00 UTC in winter and 07:00 UTC in summer.
  EXPECT_EQ(Next("0 9 * * *", "Europe/Paris", "2026-01-10T12:00:00Z"), "2026-01-11T08:00:00.000Z");
  EXPECT_EQ(Next("0 9 * * *", "Europe/Paris", "2026-07-10T12:00:00Z"), "2026-07-11T07:00:00.000Z");
  // 2026-03-29: Paris skips 02:00-03:00. A 02:30 job runs at the jump (01:00 UTC).
  EXPECT_EQ(Next("30 2 * * *", "Europe/Paris", "2026-03-28T12:00:00Z"), "2026-03-29T01:00:00.000Z");
  // 2026-10-25: 02:30 happens twice in Paris; the job runs once, at the first (00:30 UTC).
  EXPECT_EQ(Next("30 2 * * *", "Europe/Paris", "2026-10-24T12:00:00Z"), "2026-10-25T00:30:00.000Z");
  EXPECT_EQ(Next("30 2 * * *", "Europe/Paris", "2026-10-25T00:30:00Z"), "2026-10-26T01:30:00.000Z");
}

}  // namespace
}  // namespace tributary::service::scheduler
