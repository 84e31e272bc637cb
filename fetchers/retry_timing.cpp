#include "fetchers/retry_timing.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <string>

namespace tributary::fetchers {
namespace {

using std::chrono::milliseconds;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

int MonthIndex(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (name == kMonths[i]) return static_cast<int>(i);
  }
  return -1;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ParseInt(std::string_view s, int& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// "08:49:37"
bool ParseClock(std::string_view s, int& h, int& m, int& sec) {
  return s.size() == 8 && s[2] == ':' && s[5] == ':' && ParseInt(s.substr(0, 2), h) &&
         ParseInt(s.substr(3, 2), m) && ParseInt(s.substr(6, 2), sec) && h < 24 && m < 60 &&
         sec <= 60;
}

std::optional<SystemTime> Make(int year, int month, int day, int h, int m, int s) {
  if (month < 0 || day < 1 || day > 31 || year < 1970 || year > 9999) return std::nullopt;
  const int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(month + 1), static_cast<unsigned>(day));
  const int64_t secs = days * 86400 + h * 3600 + m * 60 + std::min(s, 59);
  return SystemTime(std::chrono::seconds(secs));
}

}  // namespace

milliseconds BackoffCeiling(int retry, milliseconds base, milliseconds cap) {
  if (retry < 1) retry = 1;
  int64_t ceiling = std::max<int64_t>(0, base.count());
  for (int i = 1; i < retry && ceiling < cap.count(); ++i) ceiling *= 2;
  return milliseconds(std::min<int64_t>(ceiling, cap.count()));
}

milliseconds FullJitterBackoff(int retry, milliseconds base, milliseconds cap,
                               std::mt19937_64& rng) {
  const int64_t ceiling = BackoffCeiling(retry, base, cap).count();
  if (ceiling <= 0) return milliseconds(0);
  std::uniform_int_distribution<int64_t> uniform(0, ceiling);
  return milliseconds(uniform(rng));
}

std::optional<SystemTime> ParseHttpDate(std::string_view text) {
  text = Trim(text);
  int day = 0, year = 0, h = 0, m = 0, s = 0;
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  if (text.size() == 29 && text[3] == ',' && text.substr(26) == "GMT") {
    if (!ParseInt(text.substr(5, 2), day) || !ParseInt(text.substr(12, 4), year) ||
        !ParseClock(text.substr(17, 8), h, m, s)) {
      return std::nullopt;
    }
    return Make(year, MonthIndex(text.substr(8, 3)), day, h, m, s);
  }
  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
  if (const size_t comma = text.find(", "); comma != std::string_view::npos &&
                                            text.size() == comma + 24 &&
                                            text.substr(text.size() - 3) == "GMT") {
    const std::string_view rest = text.substr(comma + 2);
    if (rest[2] != '-' || rest[6] != '-' || !ParseInt(rest.substr(0, 2), day) ||
        !ParseInt(rest.substr(7, 2), year) || !ParseClock(rest.substr(10, 8), h, m, s)) {
      return std::nullopt;
    }
    // RFC 9110: a two-digit year more than 50 years in the future is in the past century.
    year += year < 70 ? 2000 : 1900;
    return Make(year, MonthIndex(rest.substr(3, 3)), day, h, m, s);
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  if (text.size() == 24 && text[3] == ' ' && text[7] == ' ') {
    const std::string_view d = Trim(text.substr(8, 2));
    if (!ParseInt(d, day) || !ParseClock(text.substr(11, 8), h, m, s) ||
        !ParseInt(text.substr(20, 4), year)) {
      return std::nullopt;
    }
    return Make(year, MonthIndex(text.substr(4, 3)), day, h, m, s);
  }
  return std::nullopt;
}

std::string FormatHttpDate(SystemTime t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buffer[64];
  const size_t n = std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buffer, n);
}

std::optional<milliseconds> ParseRetryAfter(std::string_view value, SystemTime now,
                                            milliseconds cap) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(),
                  [](unsigned char c) { return std::isdigit(c) != 0; })) {
    if (value.size() > 9) return cap;  // absurdly many seconds: the cap decides
    int seconds = 0;
    if (!ParseInt(value, seconds)) return std::nullopt;
    if (seconds == 0) return std::nullopt;
    return std::min(cap, milliseconds(int64_t{seconds} * 1000));
  }
  const auto date = ParseHttpDate(value);
  if (!date || *date <= now) return std::nullopt;
  return std::min(cap, std::chrono::duration_cast<milliseconds>(*date - now));
}

}  // namespace tributary::fetchers
