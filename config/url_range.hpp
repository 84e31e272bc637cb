#pragma once
// A source URL may page through a numeric range: "https://x/page-{1..50}.html" stands for
// page-1.html … page-50.html, in order; "{01..12}" keeps the width of its zero-padded first
// number. Braces without ".." inside are no range (the URL is taken as written), so a
// range-looking group that is malformed, reversed or too long is an error, not a literal URL:
// the config loader reports it at the source's url, and a run never fetches "{5..1}" verbatim.
// Pure. Thread safety: reentrant.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace tributary::config {

inline constexpr size_t kMaxRangeUrls = 10'000;

struct UrlRange {
  std::vector<std::string> urls;  // in order, when `error` is empty
  std::string error;              // why the range cannot be expanded (without the URL)
};

// nullopt when `url` holds no range.
std::optional<UrlRange> ExpandUrlRange(const std::string& url, size_t max = kMaxRangeUrls);

}  // namespace tributary::config
