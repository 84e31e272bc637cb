#include "tests/support/gzip.hpp"

#if defined(TRIBUTARY_TEST_ORIGIN_ZLIB)
#include <zlib.h>
#endif

namespace tributary::test_support {

#if defined(TRIBUTARY_TEST_ORIGIN_ZLIB)

bool GzipAvailable() { return true; }

std::optional<std::string> Gzip(std::string_view data) {
  z_stream zs{};
  // 15 window bits + 16: write a gzip header and trailer rather than a zlib one.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return std::nullopt;
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const size_t written = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  out.resize(written);
  return out;
}

std::optional<std::string> Gunzip(std::string_view data) {
  z_stream zs{};
  // 15 window bits + 32: a gzip or a zlib header, detected.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return std::nullopt;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof buffer;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - zs.avail_out);
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

#else

bool GzipAvailable() { return false; }

std::optional<std::string> Gunzip(std::string_view /*data*/) { return std::nullopt; }

std::optional<std::string> Gzip(std::string_view /*data*/) { return std::nullopt; }

#endif

}  // namespace tributary::test_support
