#include "service/api/http_util.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>
#include <zlib.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace tributary::service::api {
namespace {

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The opaque part of an entity tag: W/"x" -> x, "x-gz" -> x.
std::string_view Opaque(std::string_view tag) {
  tag = TrimView(tag);
  if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
  if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"') {
    tag = tag.substr(1, tag.size() - 2);
  }
  if (tag.size() > 3 && tag.substr(tag.size() - 3) == "-gz") tag.remove_suffix(3);
  return tag;
}

}  // namespace

std::string EntityTag(std::string_view body) {
  // XXH3 hashes at memory speed: every read response is hashed, pages are tens of KiB.
  const uint64_t h = XXH3_64bits(body.data(), body.size());
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

bool IfNoneMatchMatches(std::string_view header, std::string_view etag) {
  const std::string_view want = Opaque(etag);
  size_t start = 0;
  while (start <= header.size()) {
    size_t end = header.find(',', start);
    if (end == std::string_view::npos) end = header.size();
    const std::string_view item = TrimView(header.substr(start, end - start));
    if (item == "*") return true;
    if (!item.empty() && Opaque(item) == want) return true;
    start = end + 1;
  }
  return false;
}

bool AcceptsGzip(std::string_view header) {
  size_t start = 0;
  while (start <= header.size()) {
    size_t end = header.find(',', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view item = TrimView(header.substr(start, end - start));
    const size_t semi = item.find(';');
    std::string coding(TrimView(item.substr(0, semi)));
    for (auto& c : coding) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (coding == "gzip" || coding == "x-gzip" || coding == "*") {
      double q = 1;
      if (semi != std::string_view::npos) {
        const std::string params(item.substr(semi + 1));
        if (size_t at = params.find("q="); at != std::string::npos) {
          q = std::strtod(params.c_str() + at + 2, nullptr);
        }
      }
      return q > 0;
    }
    start = end + 1;
  }
  return false;
}

std::optional<std::string> Gzip(std::string_view data, int level) {
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper instead of zlib's.
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::nullopt;
  }
  std::string out;
  out.resize(deflateBound(&z, static_cast<uLong>(data.size())));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const size_t written = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return std::nullopt;
  out.resize(written);
  return out;
}

bool Compressible(std::string_view type) {
  return type.substr(0, 5) == "text/" || type.find("json") != std::string_view::npos;
}

}  // namespace tributary::service::api
