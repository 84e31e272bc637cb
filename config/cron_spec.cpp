#include "config/cron_spec.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <vector>

namespace tributary::config {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<int> Value(std::string_view text, int names_base,
                         const std::vector<std::string_view>& names) {
  const std::string lower = Lower(text);
  for (size_t i = 0; i < names.size(); ++i) {
    if (lower == names[i]) return static_cast<int>(i) + names_base;
  }
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// Sets bits [min, max] of one field from its text; false with `error` set when malformed.
template <size_t N>
bool ParseField(std::string_view text, int min, int max, std::bitset<N>& bits, bool& star,
                const char* what, const std::vector<std::string_view>& names, int names_base,
                std::string& error) {
  star = text == "*";
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
    int step = 1;
    if (const size_t slash = part.find('/'); slash != std::string_view::npos) {
      auto s = Value(part.substr(slash + 1), 0, {});
      if (!s || *s < 1) {
        error = std::string("invalid step in the ") + what + " field";
        return false;
      }
      step = *s;
      part = part.substr(0, slash);
    }
    int low = min;
    int high = max;
    if (part != "*") {
      const size_t dash = part.find('-');
      auto a = Value(part.substr(0, dash), names_base, names);
      auto b = dash == std::string_view::npos ? a : Value(part.substr(dash + 1), names_base, names);
      if (!a || !b) {
        error = std::string("invalid ") + what + " \"" + std::string(part) + "\"";
        return false;
      }
      low = *a;
      high = *b;
      // A lone value with a step ("5/15") runs from it to the end of the range.
      if (dash == std::string_view::npos && step > 1) high = max;
    }
    // Day-of-week 7 is Sunday as well.
    if (N == 7 && high == 7) {
      if (low == 7) {
        low = high = 0;
      } else {
        high = 6;
        bits.set(0);
      }
    }
    if (low < min || high > max || low > high) {
      error = std::string(what) + " out of range (" + std::to_string(min) + "-" +
              std::to_string(max) + ")";
      return false;
    }
    for (int v = low; v <= high; v += step) bits.set(static_cast<size_t>(v));
  }
  return true;
}

}  // namespace

std::optional<CronSpec> CronSpec::Parse(std::string_view text, std::string& error) {
  std::string expr(text);
  if (expr == "@hourly") expr = "0 * * * *";
  if (expr == "@daily" || expr == "@midnight") expr = "0 0 * * *";
  if (expr == "@weekly") expr = "0 0 * * 0";
  if (expr == "@monthly") expr = "0 0 1 * *";
  if (expr == "@yearly" || expr == "@annually") expr = "0 0 1 1 *";
  std::vector<std::string_view> fields;
  std::string_view rest = expr;
  while (!rest.empty()) {
    while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front())))
      rest.remove_prefix(1);
    size_t end = 0;
    while (end < rest.size() && !std::isspace(static_cast<unsigned char>(rest[end]))) ++end;
    if (end > 0) fields.push_back(rest.substr(0, end));
    rest.remove_prefix(end);
  }
  if (fields.size() != 5) {
    error = "expected 5 fields (minute hour day-of-month month day-of-week), got " +
            std::to_string(fields.size());
    return std::nullopt;
  }
  static const std::vector<std::string_view> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                        "jul", "aug", "sep", "oct", "nov", "dec"};
  static const std::vector<std::string_view> kDays = {"sun", "mon", "tue", "wed",
                                                      "thu", "fri", "sat"};
  CronSpec s;
  bool star = false;
  if (!ParseField(fields[0], 0, 59, s.minutes, star, "minute", {}, 0, error) ||
      !ParseField(fields[1], 0, 23, s.hours, star, "hour", {}, 0, error) ||
      !ParseField(fields[2], 1, 31, s.days, s.any_day, "day-of-month", {}, 0, error) ||
      !ParseField(fields[3], 1, 12, s.months, star, "month", kMonths, 1, error) ||
      !ParseField(fields[4], 0, 7, s.weekdays, s.any_weekday, "day-of-week", kDays, 0, error)) {
    return std::nullopt;
  }
  return s;
}

bool CronSpec::DayMatches(int day, int month, int weekday) const {
  if (!months.test(static_cast<size_t>(month))) return false;
  const bool dom = days.test(static_cast<size_t>(day));
  const bool dow = weekdays.test(static_cast<size_t>(weekday));
  if (any_day && any_weekday) return true;
  if (any_day) return dow;
  if (any_weekday) return dom;
  return dom || dow;
}

}  // namespace tributary::config
