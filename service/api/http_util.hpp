#pragma once
// HTTP details the router applies to every response: entity tags, conditional requests,
// gzip content coding. Thread safety: pure functions.

#include <optional>
#include <string>
#include <string_view>

namespace tributary::service::api {

// A strong entity tag for `body` (FNV-1a 64 of the bytes, hex, quoted): "\"1a2b…\"".
std::string EntityTag(std::string_view body);
// True when an If-None-Match header value matches `etag` ("*", a list, weak tags compared
// weakly, and a tag with the "-gz" suffix of our gzip variant).
bool IfNoneMatchMatches(std::string_view if_none_match, std::string_view etag);
// True when an Accept-Encoding value accepts gzip (q > 0).
bool AcceptsGzip(std::string_view accept_encoding);
// The gzip encoding of `data`; nullopt if zlib fails.
std::optional<std::string> Gzip(std::string_view data, int level = 5);
// True for content types worth compressing (JSON, NDJSON, CSV, text).
bool Compressible(std::string_view content_type);

}  // namespace tributary::service::api
