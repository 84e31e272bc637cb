#include "service/healthcheck.hpp"

#include <curl/curl.h>

#include <cstdio>

namespace tributary::service {
namespace {

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }  // CURLOPT_WRITEFUNCTION

}  // namespace

int RunHealthcheck(const config::ListenAddress& listen) {
  std::string host = listen.host;
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  const std::string url = "http://" + host + ":" + std::to_string(listen.port) + "/healthz";

  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return 1;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Discard);
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK || status != 200) {
    std::fprintf(stderr, "unhealthy: %s: %s (HTTP %ld)\n", url.c_str(), curl_easy_strerror(rc),
                 status);
    return 1;
  }
  std::printf("healthy: %s\n", url.c_str());
  return 0;
}

}  // namespace tributary::service
