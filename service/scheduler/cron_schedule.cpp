#include "service/scheduler/cron_schedule.hpp"

#include <cctz/civil_time.h>

namespace tributary::service::scheduler {

cctz::time_zone LoadZone(const std::string& name) {
  cctz::time_zone tz = cctz::utc_time_zone();
  if (!name.empty()) cctz::load_time_zone(name, &tz);
  return tz;
}

std::optional<SystemTime> NextCronTime(const config::CronSpec& spec, const cctz::time_zone& tz,
                                       SystemTime after) {
  const auto after_s = std::chrono::time_point_cast<std::chrono::seconds>(after);
  cctz::civil_minute m = cctz::civil_minute(cctz::convert(after_s, tz)) + 1;
  const cctz::civil_minute limit = m + 5 * 366 * 24 * 60;
  while (m < limit) {
    if (!spec.months.test(static_cast<size_t>(m.month()))) {
      m = cctz::civil_minute(cctz::civil_month(m) + 1);
      continue;
    }
    // cctz numbers weekdays from Monday; cron from Sunday (0).
    const int weekday = (static_cast<int>(cctz::get_weekday(cctz::civil_day(m))) + 1) % 7;
    if (!spec.DayMatches(m.day(), m.month(), weekday)) {
      m = cctz::civil_minute(cctz::civil_day(m) + 1);
      continue;
    }
    if (!spec.hours.test(static_cast<size_t>(m.hour()))) {
      m = cctz::civil_minute(cctz::civil_hour(m) + 1);
      continue;
    }
    if (!spec.minutes.test(static_cast<size_t>(m.minute()))) {
      m += 1;
      continue;
    }
    const auto lookup = tz.lookup(cctz::civil_second(m));
    const auto at =
        lookup.kind == cctz::time_zone::civil_lookup::SKIPPED ? lookup.trans : lookup.pre;
    const SystemTime t = std::chrono::time_point_cast<SystemTime::duration>(at);
    if (t > after) return t;
    m += 1;
  }
  return std::nullopt;
}

}  // namespace tributary::service::scheduler
