#pragma once
// Classifies fetch failures, aria2-style: retry later (the network or the server is having a bad
// moment) or give up (retrying the same request cannot help).
//   retryable: connection refused/reset, timeouts, DNS failure, HTTP 5xx, 429, 408
//   permanent: other HTTP 4xx, body too large, bad URL, unsupported protocol, TLS verification
// Thread safety: pure functions.

#include <curl/curl.h>

#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace tributary::fetchers {

// The error for a transfer libcurl ended with `code` (not CURLE_OK). `detail` is libcurl's
// error buffer (may be empty); the message is that text, or curl_easy_strerror(code).
Error ClassifyCurlError(CURLcode code, std::string_view detail);

// The error for a final HTTP status, or nullopt for 2xx and 304 (Not Modified answers a
// conditional request; it is an outcome, not a failure). The message is "HTTP 404 Not Found";
// `reason` is the server's phrase, replaced by the standard one when empty.
std::optional<Error> ClassifyHttpStatus(long status, std::string_view reason);

// "HTTP 503 Service Unavailable".
std::string HttpStatusMessage(long status, std::string_view reason);

}  // namespace tributary::fetchers
