#pragma once
// gzip for the test origin's Content-Encoding: gzip responses (system zlib when available).
// Thread safety: pure functions.

#include <optional>
#include <string>
#include <string_view>

namespace tributary::test_support {

// Whether this build can gzip (it was built with zlib).
bool GzipAvailable();

// The gzip member for `data`, or nullopt when gzip is unavailable or zlib fails.
std::optional<std::string> Gzip(std::string_view data);

}  // namespace tributary::test_support
