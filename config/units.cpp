// Durations ("1h30m") and sizes ("16MiB") as the configuration writes them.
#include <cctype>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "config/loader.hpp"

namespace tributary::config {
namespace {

constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();
constexpr int kMaxFractionDigits = 9;

// A decimal number "12" or "1.5" at the start of `text`, consumed from it: whole part and the
// fraction as numerator / 10^digits. False when there is no digit or the whole part overflows.
struct Decimal {
  uint64_t whole = 0;
  uint64_t fraction = 0;
  uint64_t scale = 1;  // 10^(fraction digits kept)
  bool has_fraction = false;
};

bool ConsumeDecimal(std::string_view& text, Decimal& out) {
  size_t i = 0;
  bool any_digit = false;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    const uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (out.whole > (static_cast<uint64_t>(kMaxInt) - digit) / 10) return false;
    out.whole = out.whole * 10 + digit;
    any_digit = true;
    ++i;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    int kept = 0;
    bool fraction_digit = false;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (kept < kMaxFractionDigits) {
        out.fraction = out.fraction * 10 + static_cast<uint64_t>(text[i] - '0');
        out.scale *= 10;
        ++kept;
      }
      fraction_digit = true;
      ++i;
    }
    if (!fraction_digit) return false;  // "1." is not a number
    out.has_fraction = true;
    any_digit = true;
  }
  if (!any_digit) return false;
  text.remove_prefix(i);
  return true;
}

// whole * multiplier + fraction * multiplier / scale, truncated; nullopt on overflow.
std::optional<uint64_t> Scale(const Decimal& n, uint64_t multiplier) {
  if (multiplier != 0 && n.whole > static_cast<uint64_t>(kMaxInt) / multiplier) return std::nullopt;
  const uint64_t whole = n.whole * multiplier;
  // fraction < 10^9 and multiplier < 2^41: the product needs more than 64 bits.
  const auto part =
      static_cast<uint64_t>(static_cast<unsigned __int128>(n.fraction) * multiplier / n.scale);
  if (whole > static_cast<uint64_t>(kMaxInt) - part) return std::nullopt;
  return whole + part;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<Duration> ParseDuration(std::string_view text) {
  if (text == "0") return Duration(0);
  if (text.empty()) return std::nullopt;
  struct Unit {
    std::string_view name;
    uint64_t millis;
  };
  // "ms" before "m" so that the longer unit wins.
  static constexpr Unit kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  uint64_t total = 0;
  while (!text.empty()) {
    Decimal n;
    if (!ConsumeDecimal(text, n)) return std::nullopt;
    const Unit* unit = nullptr;
    for (const auto& u : kUnits) {
      if (text.substr(0, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) return std::nullopt;  // a number needs a unit
    text.remove_prefix(unit->name.size());
    auto part = Scale(n, unit->millis);
    if (!part || total > static_cast<uint64_t>(kMaxInt) - *part) return std::nullopt;
    total += *part;
  }
  return Duration(static_cast<Duration::rep>(total));
}

std::optional<uint64_t> ParseSize(std::string_view text) {
  Decimal n;
  if (!ConsumeDecimal(text, n)) return std::nullopt;
  struct Unit {
    std::string_view name;
    uint64_t bytes;
  };
  static constexpr Unit kUnits[] = {{"", 1},
                                    {"B", 1},
                                    {"KB", 1000},
                                    {"MB", 1000'000},
                                    {"GB", 1000'000'000},
                                    {"TB", 1000'000'000'000},
                                    {"KiB", 1ull << 10},
                                    {"MiB", 1ull << 20},
                                    {"GiB", 1ull << 30},
                                    {"TiB", 1ull << 40}};
  for (const auto& u : kUnits) {
    if (!EqualsIgnoreCase(text, u.name)) continue;
    if (u.bytes == 1 && n.has_fraction) return std::nullopt;  // no fractions of a byte
    return Scale(n, u.bytes);
  }
  return std::nullopt;
}

std::string FormatDuration(Duration d) {
  if (d.count() == 0) return "0s";
  if (d.count() < 0) return "-" + FormatDuration(-d);
  static constexpr std::pair<const char*, int64_t> kUnits[] = {
      {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"ms", 1}};
  int64_t left = d.count();
  std::string out;
  for (const auto& [name, millis] : kUnits) {
    if (left >= millis) {
      out += std::to_string(left / millis);
      out += name;
      left %= millis;
    }
  }
  return out;
}

}  // namespace tributary::config
