#include "fetchers/classify.hpp"

#include <gtest/gtest.h>

namespace tributary::fetchers {
namespace {

TEST(Classify, TransportFailuresAreRetryable) {
  for (CURLcode code : {CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_COULDNT_RESOLVE_HOST,
                        CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
                        CURLE_SSL_CONNECT_ERROR, CURLE_HTTP2}) {
    EXPECT_EQ(ClassifyCurlError(code, "").error_class, ErrorClass::kRetryable) << code;
  }
}

TEST(Classify, HopelessRequestsArePermanent) {
  for (CURLcode code :
       {CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_TOO_MANY_REDIRECTS,
        CURLE_PEER_FAILED_VERIFICATION, CURLE_FILE_COULDNT_READ_FILE, CURLE_BAD_CONTENT_ENCODING}) {
    EXPECT_EQ(ClassifyCurlError(code, "").error_class, ErrorClass::kPermanent) << code;
  }
}

TEST(Classify, MessagesComeFromCurl) {
  EXPECT_EQ(ClassifyCurlError(CURLE_COULDNT_CONNECT, "Failed to connect to x port 1").message,
            "Failed to connect to x port 1");
  EXPECT_EQ(ClassifyCurlError(CURLE_URL_MALFORMAT, "").message,
            curl_easy_strerror(CURLE_URL_MALFORMAT));
  EXPECT_NE(ClassifyCurlError(CURLE_OPERATION_TIMEDOUT, "").message.find("timed out"),
            std::string::npos);
}

TEST(Classify, HttpStatuses) {
  EXPECT_FALSE(ClassifyHttpStatus(200, "OK"));
  EXPECT_FALSE(ClassifyHttpStatus(204, ""));
  EXPECT_FALSE(ClassifyHttpStatus(304, "Not Modified"));
  for (long status : {500L, 502L, 503L, 504L, 429L, 408L}) {
    auto e = ClassifyHttpStatus(status, "");
    ASSERT_TRUE(e) << status;
    EXPECT_EQ(e->error_class, ErrorClass::kRetryable) << status;
  }
  for (long status : {400L, 401L, 403L, 404L, 410L, 451L, 300L}) {
    auto e = ClassifyHttpStatus(status, "");
    ASSERT_TRUE(e) << status;
    EXPECT_EQ(e->error_class, ErrorClass::kPermanent) << status;
  }
}

TEST(Classify, HttpMessages) {
  EXPECT_EQ(ClassifyHttpStatus(404, "Not Found")->message, "HTTP 404 Not Found");
  EXPECT_EQ(ClassifyHttpStatus(404, "")->message, "HTTP 404 Not Found");  // HTTP/2: no phrase
  EXPECT_EQ(ClassifyHttpStatus(503, "Slow Down")->message, "HTTP 503 Slow Down");
  EXPECT_EQ(ClassifyHttpStatus(799, "")->message, "HTTP 799");
}

}  // namespace
}  // namespace tributary::fetchers
