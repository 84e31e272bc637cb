#include "merge/combine/value_compare.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "merge/combine/text_fold.hpp"

namespace tributary::merge::combine {
namespace {

bool SameString(const std::string& a, const std::string& b, config::CompareMode mode) {
  if (a == b) return true;
  switch (mode) {
    case config::CompareMode::kExact:
      return false;
    case config::CompareMode::kCasefold:
      return Fold(a, {false, true, false}) == Fold(b, {false, true, false});
    case config::CompareMode::kNormalized:
      return NormalizeForCompare(a) == NormalizeForCompare(b);
  }
  return false;
}

}  // namespace

bool SameNumber(double a, double b, const config::CompareOptions& o) {
  if (a == b) return true;
  const double diff = std::fabs(a - b);
  if (diff <= o.tolerance) return true;
  return o.relative > 0 && diff <= o.relative * std::max(std::fabs(a), std::fabs(b));
}

std::optional<double> AsNumber(const nlohmann::json& v) {
  if (v.is_number()) return v.get<double>();
  if (!v.is_string()) return std::nullopt;
  const std::string_view s = TrimSpace(v.get_ref<const std::string&>());
  if (s.empty()) return std::nullopt;
  double d = 0;
  const char* begin = s.data();
  if (*begin == '+') ++begin;
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), d);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

bool HasContent(const nlohmann::json& v) {
  if (v.is_null()) return false;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  if (v.is_array() || v.is_object()) return !v.empty();
  return true;
}

bool SameValue(const nlohmann::json& a, const nlohmann::json& b, const config::CompareOptions& o) {
  if (a.is_number() || b.is_number()) {
    // A number against a numeric string compares as numbers ("4" and 4.0 agree).
    const auto x = AsNumber(a);
    const auto y = AsNumber(b);
    if (x && y) return SameNumber(*x, *y, o);
    return false;
  }
  if (a.is_string() && b.is_string()) {
    const auto& x = a.get_ref<const std::string&>();
    const auto& y = b.get_ref<const std::string&>();
    if (SameString(x, y, o.mode)) return true;
    if (o.tolerance > 0 || o.relative > 0) {
      const auto nx = AsNumber(a);
      const auto ny = AsNumber(b);
      if (nx && ny) return SameNumber(*nx, *ny, o);
    }
    return false;
  }
  if (a.is_array() && b.is_array()) {
    // As sets: sources list the same currencies or tags in different orders.
    if (a.size() != b.size()) return false;
    std::vector<bool> used(b.size(), false);
    for (const auto& x : a) {
      bool found = false;
      for (size_t i = 0; i < b.size() && !found; ++i) {
        if (!used[i] && SameValue(x, b[i], o)) used[i] = found = true;
      }
      if (!found) return false;
    }
    return true;
  }
  if (a.is_object() && b.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !SameValue(*it, *other, o)) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace tributary::merge::combine
