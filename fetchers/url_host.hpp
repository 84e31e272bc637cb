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

// The explicit port of the URL ("8080"), or "" when it names none.
std::string PortOf(std::string_view url);

// "http://host:port" of an http(s) URL (the port written only when explicit), lower-cased
// scheme and host; "" for other URLs. robots.txt is per origin.
std::string OriginOf(std::string_view url);

// The path and query of a URL ("/a/b?x=1"), "/" when it has none; no fragment.
std::string PathAndQuery(std::string_view url);

// The shard (0 <= index < shards) that serves a politeness group key; every request of one
// group maps to the same shard, so its limits and connection reuse stay on one thread.
size_t ShardIndexFor(std::string_view group_key, size_t shards);

// The URL without userinfo and without query or fragment, for log lines (they can hold tokens).
std::string RedactUrl(std::string_view url);

}  // namespace tributary::fetchers
