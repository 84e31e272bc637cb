#pragma once
// gzip for the test origin's Content-Encoding: gzip responses, and gunzip for tests that read
// compressed bodies (system zlib when available).
// Thread safety: pure functions.

#include <optional>
#include <string>
#include <string_view>

namespace tributary::test_support {

// Whether this build can gzip (it was built with zlib).
bool GzipAvailable();

// The gzip member for `data`, or nullopt when gzip is unavailable or zlib fails.
std::optional<std::string> Gzip(std::string_view data);
// The data of a gzip (or zlib) stream, or nullopt when it is not one, is cut short, or gzip is
// unavailable.
std::optional<std::string> Gunzip(std::string_view data);

}  // namespace tributary::test_support
