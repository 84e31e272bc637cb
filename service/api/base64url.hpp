#pragma once
// Unpadded base64url (RFC 4648 §5), for opaque tokens in URLs (cursors).
// Thread safety: pure functions.

#include <optional>
#include <string>
#include <string_view>

namespace tributary::service::api {

std::string Base64UrlEncode(std::string_view in);
// nullopt when `in` is not unpadded base64url.
std::optional<std::string> Base64UrlDecode(std::string_view in);

}  // namespace tributary::service::api
