#pragma once
// Retry timing: exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff
// and Jitter": sleep = uniform(0, min(cap, base * 2^(n-1)))) and the server's own Retry-After
// header (RFC 9110 10.2.3: delay-seconds or an HTTP-date).
// Thread safety: pure functions; the random source is the caller's.

#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "common/time.hpp"

namespace tributary::fetchers {

// The longest backoff before retry number `retry` (1 for the first retry): min(cap, base*2^(n-1)).
std::chrono::milliseconds BackoffCeiling(int retry, std::chrono::milliseconds base,
                                         std::chrono::milliseconds cap);

// A full-jitter backoff: uniform in [0, BackoffCeiling(retry, base, cap)].
std::chrono::milliseconds FullJitterBackoff(int retry, std::chrono::milliseconds base,
                                            std::chrono::milliseconds cap, std::mt19937_64& rng);

// The wait a Retry-After value asks for, relative to `now`: "120" or an HTTP-date
// ("Wed, 21 Oct 2015 07:28:00 GMT", also the obsolete RFC 850 and asctime forms). nullopt when
// malformed or in the past (a date at or before `now` asks for no wait). Capped at `cap`.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, SystemTime now,
                                                         std::chrono::milliseconds cap);

// An HTTP-date (IMF-fixdate, RFC 850 or asctime form); nullopt when malformed.
std::optional<SystemTime> ParseHttpDate(std::string_view text);

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (for If-Modified-Since written by us).
std::string FormatHttpDate(SystemTime t);

}  // namespace tributary::fetchers
