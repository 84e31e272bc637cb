#include "fetchers/url_host.hpp"

#include <cctype>
#include <functional>

namespace tributary::fetchers {
namespace {

struct Authority {
  size_t begin = std::string_view::npos;  // first character after "://"
  size_t end = std::string_view::npos;    // first '/', '?' or '#' after begin (or size)
};

Authority FindAuthority(std::string_view url) {
  Authority a;
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return a;
  a.begin = sep + 3;
  a.end = url.find_first_of("/?#", a.begin);
  if (a.end == std::string_view::npos) a.end = url.size();
  return a;
}

}  // namespace

std::string HostOf(std::string_view url) {
  const Authority a = FindAuthority(url);
  if (a.begin == std::string_view::npos) return {};
  std::string_view host = url.substr(a.begin, a.end - a.begin);
  if (const size_t at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    host = host.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
  } else if (const size_t colon = host.find(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  std::string out(host);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

size_t ShardIndexFor(std::string_view url, size_t shards) {
  if (shards <= 1) return 0;
  return std::hash<std::string>{}(HostOf(url)) % shards;
}

std::string RedactUrl(std::string_view url) {
  if (const size_t q = url.find_first_of("?#"); q != std::string_view::npos) {
    url = url.substr(0, q);
  }
  const Authority a = FindAuthority(url);
  if (a.begin == std::string_view::npos) return std::string(url);
  const std::string_view authority = url.substr(a.begin, a.end - a.begin);
  const size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, a.begin));
  out += url.substr(a.begin + at + 1);
  return out;
}

}  // namespace tributary::fetchers
