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

std::string PortOf(std::string_view url) {
  const Authority a = FindAuthority(url);
  if (a.begin == std::string_view::npos) return {};
  std::string_view host = url.substr(a.begin, a.end - a.begin);
  if (const size_t at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
  size_t colon = std::string_view::npos;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close != std::string_view::npos && close + 1 < host.size() && host[close + 1] == ':') {
      colon = close + 1;
    }
  } else {
    colon = host.find(':');
  }
  return colon == std::string_view::npos ? std::string() : std::string(host.substr(colon + 1));
}

std::string OriginOf(std::string_view url) {
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return {};
  std::string scheme(url.substr(0, sep));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") return {};
  const std::string host = HostOf(url);
  if (host.empty()) return {};
  const std::string port = PortOf(url);
  std::string out =
      scheme + "://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host);
  if (!port.empty()) out += ":" + port;
  return out;
}

std::string PathAndQuery(std::string_view url) {
  const Authority a = FindAuthority(url);
  if (a.begin == std::string_view::npos) return "/";
  std::string_view rest = url.substr(a.end);
  if (const size_t hash = rest.find('#'); hash != std::string_view::npos)
    rest = rest.substr(0, hash);
  if (rest.empty() || rest.front() != '/') return "/" + std::string(rest);
  return std::string(rest);
}

size_t ShardIndexFor(std::string_view group_key, size_t shards) {
  if (shards <= 1) return 0;
  return std::hash<std::string_view>{}(group_key) % shards;
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
