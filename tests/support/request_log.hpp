#pragma once
// Reading the test origin's request log the way politeness rules are stated: the gaps between
// request arrivals and the number of requests being answered at once. Times are the origin's
// own (steady clock), so tests assert with tolerances instead of sleeping.
// Thread safety: pure functions on copies of the log.

#include <algorithm>
#include <chrono>
#include <vector>

#include "tests/support/origin_state.hpp"

namespace tributary::test_support {

// All requests of several logs, ordered by arrival.
inline std::vector<RecordedRequest> Merged(std::vector<std::vector<RecordedRequest>> logs) {
  std::vector<RecordedRequest> all;
  for (auto& log : logs) {
    for (auto& r : log) all.push_back(std::move(r));
  }
  std::sort(all.begin(), all.end(), [](const RecordedRequest& a, const RecordedRequest& b) {
    return a.received < b.received;
  });
  return all;
}

// The smallest gap between two consecutive arrivals (max() when fewer than two requests).
inline std::chrono::milliseconds MinGap(std::vector<RecordedRequest> requests) {
  std::sort(requests.begin(), requests.end(),
            [](const auto& a, const auto& b) { return a.received < b.received; });
  auto gap = std::chrono::milliseconds::max();
  for (size_t i = 1; i < requests.size(); ++i) {
    gap = std::min(gap, std::chrono::duration_cast<std::chrono::milliseconds>(
                            requests[i].received - requests[i - 1].received));
  }
  return gap;
}

// The most requests being answered at once: between arrival and the answer's last byte
// (requests still unanswered count as open until now).
inline size_t MaxConcurrency(const std::vector<RecordedRequest>& requests) {
  std::vector<std::pair<std::chrono::steady_clock::time_point, int>> events;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& r : requests) {
    events.emplace_back(r.received, +1);
    events.emplace_back(r.finished.value_or(now), -1);
  }
  // Ends before starts at the same instant: back-to-back requests do not overlap.
  std::sort(events.begin(), events.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second < b.second;
  });
  int open = 0;
  int most = 0;
  for (const auto& [when, delta] : events) {
    open += delta;
    most = std::max(most, open);
  }
  return static_cast<size_t>(most);
}

// Requests for `path` only.
inline std::vector<RecordedRequest> ForPath(const std::vector<RecordedRequest>& requests,
                                            const std::string& path) {
  std::vector<RecordedRequest> out;
  for (const auto& r : requests) {
    if (r.path == path) out.push_back(r);
  }
  return out;
}

inline std::chrono::milliseconds Between(const RecordedRequest& a, const RecordedRequest& b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b.received - a.received);
}

}  // namespace tributary::test_support
