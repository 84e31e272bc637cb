#include "merge/extract/url_resolver.hpp"

#include <boost/url.hpp>

namespace tributary::merge::extract {
namespace {

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Characters RFC 3986 allows in a URI reference, plus '%' when it starts a valid escape.
bool Allowed(std::string_view text, size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (c <= 0x20 || c >= 0x7F) return false;
  switch (c) {
    case '"':
    case '<':
    case '>':
    case '^':
    case '`':
    case '{':
    case '|':
    case '}':
      return false;
    case '%':
      return i + 2 < text.size() && IsHex(text[i + 1]) && IsHex(text[i + 2]);
    default:
      return true;
  }
}

std::string Clean(std::string_view text) {
  while (!text.empty() && static_cast<unsigned char>(text.front()) <= 0x20) {
    text.remove_prefix(1);
  }
  while (!text.empty() && static_cast<unsigned char>(text.back()) <= 0x20) text.remove_suffix(1);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  // A fragment may hold '#'s of its own; only the first one starts it.
  bool in_fragment = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\t' || c == '\n' || c == '\r') continue;
    if (c == '\\' && !in_fragment) {
      out += '/';
    } else if (c == '#' && in_fragment) {
      out += "%23";
    } else if (c == '[' || c == ']') {
      // Only an IPv6 host may use brackets; elsewhere Boost.URL rejects them.
      const size_t scheme_end = out.find("://");
      const bool in_host = scheme_end != std::string::npos &&
                           out.find('/', scheme_end + 3) == std::string::npos &&
                           out.find_first_of("?#", scheme_end) == std::string::npos;
      out += in_host ? std::string(1, c) : (c == '[' ? "%5B" : "%5D");
    } else if (Allowed(text, i)) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
    if (c == '#') in_fragment = true;
  }
  return out;
}

// What browsers do to every http(s) URL: scheme and host in lower case, "/" for an empty path.
std::string Normalized(boost::urls::url& url) {
  url.normalize_scheme();
  const std::string scheme(url.scheme());
  if ((scheme != "http" && scheme != "https") || !url.has_authority()) {
    return std::string(url.buffer());
  }
  std::string host(url.encoded_host());
  bool upper = false;
  for (char& c : host) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
      upper = true;
    }
  }
  if (upper) url.set_encoded_host(host);
  const std::string_view buffer = url.buffer();
  if (!url.encoded_path().empty()) return std::string(buffer);
  const size_t path_at = scheme.size() + 3 + url.encoded_authority().size();
  std::string out(buffer.substr(0, path_at));
  out += '/';
  out += buffer.substr(path_at);
  return out;
}

}  // namespace

std::optional<std::string> ResolveUrl(std::string_view reference, std::string_view base) {
  const std::string ref_text = Clean(reference);
  if (ref_text.empty()) return std::nullopt;
  auto ref = boost::urls::parse_uri_reference(ref_text);
  if (!ref) return std::nullopt;
  auto parsed_base = boost::urls::parse_uri(base);
  if (!parsed_base) {
    if (!ref->has_scheme()) return std::nullopt;
    boost::urls::url absolute(*ref);
    return Normalized(absolute);
  }
  boost::urls::url resolved(*parsed_base);
  if (!resolved.resolve(*ref)) return std::nullopt;
  // Boost.URL 1.81 keeps ".." segments that climb above the root ("../../../g" against
  // "http://a/b/c/d;p?q" gives "http://a/../g"); RFC 3986 section 5.2.4 drops them.
  if (resolved.has_authority()) {
    const std::string_view path = resolved.encoded_path();
    std::string_view rest = path;
    while (rest.starts_with("/../")) rest.remove_prefix(3);
    if (rest == "/..") rest = "/";
    if (rest.size() != path.size()) resolved.set_encoded_path(std::string(rest));
  }
  return Normalized(resolved);
}

}  // namespace tributary::merge::extract
