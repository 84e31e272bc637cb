#include "merge/extract/date_parser.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>

#include "merge/extract/text_util.hpp"

namespace tributary::merge::extract {
namespace {

struct DateTime {
  int year = -1;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int millis = 0;
  int offset_minutes = 0;  // local time = UTC + offset
};

constexpr std::array<std::string_view, 12> kMonths = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};
constexpr std::array<std::string_view, 7> kDays = {"monday", "tuesday",  "wednesday", "thursday",
                                                   "friday", "saturday", "sunday"};

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// A cursor over the (whitespace-collapsed) text.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  bool Eat(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  bool SkipSpace() {
    const bool any = Peek() == ' ';
    while (Peek() == ' ') ++pos_;
    return any;
  }
  // Exactly `min`..`max` digits.
  bool Digits(size_t min, size_t max, int& value, size_t* count = nullptr) {
    size_t n = 0;
    value = 0;
    while (n < max && IsDigit(Peek())) {
      value = value * 10 + (text_[pos_++] - '0');
      ++n;
    }
    if (count != nullptr) *count = n;
    return n >= min;
  }
  std::string Word() {
    std::string out;
    while (IsAlpha(Peek())) out += Lower(text_[pos_++]);
    return out;
  }
  size_t pos() const { return pos_; }
  void Reset(size_t pos) { pos_ = pos; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

int MonthFromName(const std::string& word) {
  if (word.size() < 3) return 0;
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i].starts_with(word) &&
        (word.size() == 3 || word == kMonths[i] || (i == 8 && word == "sept"))) {
      return static_cast<int>(i) + 1;
    }
  }
  return 0;
}

bool IsDayName(const std::string& word) {
  for (std::string_view day : kDays) {
    if (word.size() >= 3 && day.starts_with(word) && (word.size() == 3 || word == day)) {
      return true;
    }
  }
  return false;
}

// HH:MM[:SS[.fff]] [AM|PM]
bool ParseTime(Cursor& c, DateTime& dt) {
  if (!c.Digits(1, 2, dt.hour) || !c.Eat(':') || !c.Digits(2, 2, dt.minute)) return false;
  if (c.Eat(':')) {
    if (!c.Digits(2, 2, dt.second)) return false;
    if (c.Peek() == '.' || c.Peek() == ',') {
      c.Eat(c.Peek());
      int fraction = 0;
      size_t digits = 0;
      if (!c.Digits(1, 3, fraction, &digits)) return false;
      for (size_t i = digits; i < 3; ++i) fraction *= 10;
      dt.millis = fraction;
      while (IsDigit(c.Peek())) c.Eat(c.Peek());  // beyond milliseconds
    }
  }
  const size_t before = c.pos();
  c.SkipSpace();
  const std::string word = c.Word();
  if (word == "am" || word == "pm") {
    if (dt.hour < 1 || dt.hour > 12) return false;
    dt.hour = dt.hour % 12 + (word == "pm" ? 12 : 0);
  } else {
    c.Reset(before);
  }
  return true;
}

// Z, +HH:MM, +HHMM, +HH, or a zone name.
bool ParseZone(Cursor& c, DateTime& dt) {
  const char sign = c.Peek();
  if (sign == '+' || sign == '-') {
    c.Eat(sign);
    int hours = 0;
    int minutes = 0;
    if (!c.Digits(2, 2, hours)) return false;
    if (c.Eat(':')) {
      if (!c.Digits(2, 2, minutes)) return false;
    } else if (IsDigit(c.Peek()) && !c.Digits(2, 2, minutes)) {
      return false;
    }
    if (hours > 23 || minutes > 59) return false;
    dt.offset_minutes = (sign == '-' ? -1 : 1) * (hours * 60 + minutes);
    return true;
  }
  const std::string word = c.Word();
  struct Zone {
    std::string_view name;
    int hours;
  };
  static constexpr std::array kZones = {Zone{"z", 0},    Zone{"gmt", 0},  Zone{"ut", 0},
                                        Zone{"utc", 0},  Zone{"est", -5}, Zone{"edt", -4},
                                        Zone{"cst", -6}, Zone{"cdt", -5}, Zone{"mst", -7},
                                        Zone{"mdt", -6}, Zone{"pst", -8}, Zone{"pdt", -7}};
  for (const auto& zone : kZones) {
    if (zone.name == word) {
      dt.offset_minutes = zone.hours * 60;
      // "GMT+2" style suffixes are not standard; a trailing offset after GMT still counts.
      if ((c.Peek() == '+' || c.Peek() == '-') && zone.hours == 0) return ParseZone(c, dt);
      return true;
    }
  }
  return false;
}

// [time] [zone] then the end.
bool ParseTimeAndZone(Cursor& c, DateTime& dt) {
  c.SkipSpace();
  if (c.AtEnd()) return true;
  if (IsDigit(c.Peek()) && !ParseTime(c, dt)) return false;
  c.SkipSpace();
  if (!c.AtEnd() && !ParseZone(c, dt)) return false;
  c.SkipSpace();
  return c.AtEnd();
}

// 2024-05-01, 2024-05-01T12:00:00Z, 2024-05-01 12:00:00.5+02:00, 2024/05/01
bool ParseIso(Cursor& c, DateTime& dt) {
  if (!c.Digits(4, 4, dt.year)) return false;
  const char sep = c.Peek();
  if (sep != '-' && sep != '/') return false;
  c.Eat(sep);
  if (!c.Digits(1, 2, dt.month) || !c.Eat(sep) || !c.Digits(1, 2, dt.day)) return false;
  if (c.AtEnd()) return true;
  if (c.Peek() == 'T' || c.Peek() == 't') {
    c.Eat(c.Peek());
    if (!ParseTime(c, dt)) return false;
    if (c.AtEnd()) return true;
    c.SkipSpace();
    if (!ParseZone(c, dt)) return false;
    c.SkipSpace();
    return c.AtEnd();
  }
  return ParseTimeAndZone(c, dt);
}

int ExpandYear(int year, size_t digits) {
  if (digits > 2) return year;
  return year < 50 ? 2000 + year : 1900 + year;  // RFC 2822 section 4.3
}

// [Day[,]] 10 Jun 2003 [time] [zone]; [Day[,]] 10-Jun-03 ...; [Day] Jun 10[,] 2003 [time];
// asctime: Day Jun 10 04:00:00 2003.
bool ParseTextual(Cursor& c, DateTime& dt) {
  size_t start = c.pos();
  std::string word = c.Word();
  if (!word.empty() && IsDayName(word)) {
    c.Eat(',');
    c.SkipSpace();
    start = c.pos();
    word = c.Word();
  } else {
    c.Reset(start);
    word = c.Word();
  }
  size_t year_digits = 0;
  if (word.empty()) {
    c.Reset(start);
    if (!c.Digits(1, 2, dt.day)) return false;
    const bool dashed = c.Eat('-');
    if (!dashed) c.SkipSpace();
    dt.month = MonthFromName(c.Word());
    if (dt.month == 0) return false;
    c.Eat('.');
    if (dashed ? !c.Eat('-') : !c.SkipSpace()) return false;
    if (!c.Digits(2, 4, dt.year, &year_digits) || year_digits == 3) return false;
    dt.year = ExpandYear(dt.year, year_digits);
    c.Eat(',');
    return ParseTimeAndZone(c, dt);
  }
  dt.month = MonthFromName(word);
  if (dt.month == 0) return false;
  c.Eat('.');
  c.SkipSpace();
  if (!c.Digits(1, 2, dt.day)) return false;
  if (c.Eat(',')) {
    c.SkipSpace();
  } else if (!c.SkipSpace()) {
    return false;
  }
  const size_t after_day = c.pos();
  if (c.Digits(4, 4, dt.year) && !IsDigit(c.Peek()) && c.Peek() != ':') {
    return ParseTimeAndZone(c, dt);
  }
  // asctime: the time comes before the year.
  c.Reset(after_day);
  if (!ParseTime(c, dt)) return false;
  c.SkipSpace();
  if (IsAlpha(c.Peek()) && !ParseZone(c, dt)) return false;
  c.SkipSpace();
  if (!c.Digits(4, 4, dt.year)) return false;
  c.SkipSpace();
  return c.AtEnd();
}

std::optional<std::string> Format(const DateTime& dt) {
  using namespace std::chrono;
  if (dt.year < 1 || dt.year > 9999 || dt.hour > 23 || dt.minute > 59 || dt.second > 60) {
    return std::nullopt;
  }
  const year_month_day date{year{dt.year}, month{static_cast<unsigned>(dt.month)},
                            day{static_cast<unsigned>(dt.day)}};
  if (!date.ok()) return std::nullopt;
  // A leap second (:60) is folded into the following second.
  const int64_t seconds = int64_t{sys_days{date}.time_since_epoch().count()} * 86400 +
                          dt.hour * 3600 + dt.minute * 60 + dt.second -
                          int64_t{dt.offset_minutes} * 60;
  const int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  const int64_t rest = seconds - days * 86400;
  const year_month_day utc{sys_days{std::chrono::days{days}}};
  const int y = static_cast<int>(utc.year());
  if (y < 1 || y > 9999) return std::nullopt;
  char buffer[40];
  int n = std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d", y,
                        static_cast<unsigned>(utc.month()), static_cast<unsigned>(utc.day()),
                        static_cast<int>(rest / 3600), static_cast<int>(rest / 60 % 60),
                        static_cast<int>(rest % 60));
  if (dt.millis != 0) {
    n += std::snprintf(buffer + n, sizeof buffer - static_cast<size_t>(n), ".%03d", dt.millis);
  }
  return std::string(buffer, static_cast<size_t>(n)) + "Z";
}

}  // namespace

std::optional<std::string> NormalizeDate(std::string_view text) {
  const std::string collapsed = CollapseWhitespace(text);
  {
    Cursor c(collapsed);
    DateTime dt;
    if (ParseIso(c, dt)) return Format(dt);
  }
  Cursor c(collapsed);
  DateTime dt;
  if (ParseTextual(c, dt)) return Format(dt);
  return std::nullopt;
}

std::optional<std::string> DateFromUnixTime(double value) {
  if (!std::isfinite(value)) return std::nullopt;
  if (std::fabs(value) >= 1e11) value /= 1000;
  if (value < -62135596800.0 || value > 253402300799.0) return std::nullopt;  // years 1..9999
  const double whole = std::floor(value);
  DateTime dt;
  dt.year = 1970;
  dt.month = 1;
  dt.day = 1;
  const auto total = static_cast<int64_t>(whole);
  // Express as an offset from the epoch so Format does the calendar arithmetic.
  const int64_t days = total >= 0 ? total / 86400 : (total - 86399) / 86400;
  const int64_t rest = total - days * 86400;
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  dt.year = static_cast<int>(ymd.year());
  dt.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  dt.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  dt.hour = static_cast<int>(rest / 3600);
  dt.minute = static_cast<int>(rest / 60 % 60);
  dt.second = static_cast<int>(rest % 60);
  dt.millis = static_cast<int>(std::lround((value - whole) * 1000)) % 1000;
  return Format(dt);
}

}  // namespace tributary::merge::extract

namespace tributary::merge::extract {

std::optional<std::string> DateWithFormat(std::string_view text, const std::string& format) {
  const std::string value = CollapseWhitespace(text);
  std::tm tm{};
  tm.tm_mday = 1;
  const char* end = strptime(value.c_str(), format.c_str(), &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const long offset = tm.tm_gmtoff;  // set by %z; 0 otherwise (UTC)
  const time_t utc = timegm(&tm) - offset;
  return DateFromUnixTime(static_cast<double>(utc));
}

}  // namespace tributary::merge::extract
