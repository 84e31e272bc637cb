#pragma once
// Cheap URL helpers for the fetch engine: the host a URL names (to pick a shard), and a form of
// the URL that is safe to log. Not a validating parser: libcurl judges the URL itself.
// Thread safety: pure functions.

#include <cstddef>
#include <string>
#include <string_view>

namespace tributary::fetchers {

// The lower-cased host of "scheme://[userinfo@]host[:port]/...", without brackets for IPv6
// literals; empty when the URL has no authority (file:///x, garbage).
std::string HostOf(std::string_view url);

// The shard (0 <= index < shards) that serves the URL's host; every URL of one host maps to the
// same shard, so connection reuse and politeness stay on one thread.
size_t ShardIndexFor(std::string_view url, size_t shards);

// The URL without userinfo and without query or fragment, for log lines (they can hold tokens).
std::string RedactUrl(std::string_view url);

}  // namespace tributary::fetchers
