#pragma once
// Resolves links found in documents against the document's URL (RFC 3986 section 5, with
// Boost.URL), after the clean-up browsers do: surrounding whitespace and embedded tabs and
// newlines are removed, spaces and other characters URLs cannot hold are percent-encoded, and
// "\" becomes "/". http(s) results are normalised as browsers do: scheme and host in lower
// case, "/" for an empty path. Pure functions.

#include <optional>
#include <string>
#include <string_view>

namespace tributary::merge::extract {

// nullopt when the reference is empty or unusable, or relative without a usable base.
std::optional<std::string> ResolveUrl(std::string_view reference, std::string_view base);

}  // namespace tributary::merge::extract
