#pragma once
// A 5-field cron expression as Vixie cron reads it: minute hour day-of-month month day-of-week,
// each "*", a number, a range "a-b", a step "*/n" or "a-b/n", or a comma list of those; month
// and weekday names (jan, mon); 7 is Sunday too; the macros @hourly @daily @weekly @monthly
// @yearly. When both day fields are restricted a day matching either fires (Vixie semantics).
// Thread safety: an immutable value after Parse.

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

namespace tributary::config {

struct CronSpec {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days;     // 1..31
  std::bitset<13> months;   // 1..12
  std::bitset<7> weekdays;  // 0 = Sunday
  bool any_day = true;      // day-of-month was "*"
  bool any_weekday = true;  // day-of-week was "*"

  // nullopt with `error` set when malformed.
  static std::optional<CronSpec> Parse(std::string_view text, std::string& error);

  // Whether a civil date matches the day fields (weekday 0 = Sunday).
  bool DayMatches(int day, int month, int weekday) const;
};

}  // namespace tributary::config
