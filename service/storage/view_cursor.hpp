#pragma once
// View cursors: opaque, URL-safe tokens for keyset pagination of a view's records. A cursor is
// the unpadded base64url encoding of {"v":1,"after":"<last key of the previous page>"}, so it
// stays valid whatever is inserted or deleted around it. Keys are UTF-8 (they come from JSON
// values); invalid bytes would be replaced by U+FFFD in the cursor.

#include <optional>
#include <string>
#include <string_view>

namespace tributary::storage {

std::string EncodeViewCursor(std::string_view after_key);

// The key to continue after, or nullopt when `cursor` is not one that EncodeViewCursor wrote.
std::optional<std::string> DecodeViewCursor(std::string_view cursor);

}  // namespace tributary::storage
