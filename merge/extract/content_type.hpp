#pragma once
// Pieces of an HTTP Content-Type header value ("text/html; charset=ISO-8859-1").
// Thread safety: pure functions.

#include <string>
#include <string_view>

namespace tributary::merge::extract {

// The media type, lower-cased and without parameters: "text/html"; "" when absent.
std::string MediaType(std::string_view content_type);
// The charset parameter as written (quotes removed): "ISO-8859-1"; "" when absent.
std::string Charset(std::string_view content_type);

}  // namespace tributary::merge::extract
