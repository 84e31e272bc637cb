#include "config/url_range.hpp"

namespace tributary::config {
namespace {

std::optional<long long> RangeNumber(const std::string& s) {
  if (s.empty() || s.size() > 12 || s.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoll(s);
}

}  // namespace

std::optional<UrlRange> ExpandUrlRange(const std::string& url, size_t max) {
  const size_t open = url.find('{');
  if (open == std::string::npos) return std::nullopt;
  const size_t close = url.find('}', open);
  const size_t dots = url.find("..", open);
  if (dots == std::string::npos || (close != std::string::npos && dots > close)) {
    return std::nullopt;  // braces, but no range in them
  }
  UrlRange out;
  const std::string expected = "expected {first..last} with whole numbers, first <= last";
  if (close == std::string::npos) {
    out.error = expected;
    return out;
  }
  const std::string first = url.substr(open + 1, dots - open - 1);
  const std::string last = url.substr(dots + 2, close - dots - 2);
  const auto a = RangeNumber(first);
  const auto b = RangeNumber(last);
  if (!a || !b || *a > *b) {
    out.error = expected;
    return out;
  }
  if (static_cast<unsigned long long>(*b - *a) + 1 > max) {
    out.error = std::to_string(*b - *a + 1) + " pages; at most " + std::to_string(max);
    return out;
  }
  const size_t width = first.size() > 1 && first[0] == '0' ? first.size() : 0;
  const std::string prefix = url.substr(0, open);
  const std::string suffix = url.substr(close + 1);
  for (long long n = *a; n <= *b; ++n) {
    std::string digits = std::to_string(n);
    if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
    out.urls.push_back(prefix + digits + suffix);
  }
  return out;
}

}  // namespace tributary::config
