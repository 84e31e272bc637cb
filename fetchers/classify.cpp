#include "fetchers/classify.hpp"

#include <boost/beast/http/status.hpp>

namespace tributary::fetchers {
namespace {

bool IsPermanent(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_FILE_COULDNT_READ_FILE:
    case CURLE_REMOTE_FILE_NOT_FOUND:
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_LOGIN_DENIED:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_WRITE_ERROR:
    case CURLE_OUT_OF_MEMORY:
      return true;
    default:
      // Connection refused/reset, timeouts, DNS failures, empty replies, broken TLS handshakes
      // and anything unknown: the next attempt may well succeed.
      return false;
  }
}

}  // namespace

Error ClassifyCurlError(CURLcode code, std::string_view detail) {
  std::string message =
      detail.empty() ? std::string(curl_easy_strerror(code)) : std::string(detail);
  if (code == CURLE_OPERATION_TIMEDOUT && message.find("timed out") == std::string::npos) {
    message = "timed out: " + message;
  }
  return IsPermanent(code) ? Error::Permanent(std::move(message))
                           : Error::Retryable(std::move(message));
}

std::string HttpStatusMessage(long status, std::string_view reason) {
  std::string message = "HTTP " + std::to_string(status);
  if (reason.empty() && status > 0 && status < 1000) {
    const auto standard = boost::beast::http::obsolete_reason(
        static_cast<boost::beast::http::status>(static_cast<unsigned>(status)));
    if (standard != "<unknown-status>") reason = std::string_view(standard.data(), standard.size());
  }
  if (!reason.empty()) {
    message += ' ';
    message += reason;
  }
  return message;
}

std::optional<Error> ClassifyHttpStatus(long status, std::string_view reason) {
  if ((status >= 200 && status < 300) || status == 304) return std::nullopt;
  std::string message = HttpStatusMessage(status, reason);
  if (status >= 500 || status == 429 || status == 408) return Error::Retryable(std::move(message));
  return Error::Permanent(std::move(message));
}

}  // namespace tributary::fetchers
