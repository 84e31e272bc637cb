// The fetch engine against the loopback origin: what a successful or refused response looks
// like, redirects, POST, content encodings, file URLs.
#include "fetchers/fetcher.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

#include "common/log.hpp"
#include "tests/fetchers/fetch_test_util.hpp"
#include "tests/support/origin.hpp"

namespace tributary::fetchers {
namespace {

using test_support::Response;
using test_support::TestOrigin;

class FetcherBasic : public ::testing::Test {
 protected:
  TestOrigin origin_;  // declared first: outlives the fetcher
  Fetcher fetcher_{FetcherOptions{2}};
};

TEST_F(FetcherBasic, Returns200WithBodyAndHeaders) {
  origin_.Route("/doc", {200, {{"Content-Type", "text/plain"}, {"X-Test", "Yes"}}, "hello"});
  const auto before = std::chrono::system_clock::now();
  const FetchResult r = FetchSync(fetcher_, LoopbackRequest(origin_.Url("/doc")));
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(r.source_id, "test-source");
  EXPECT_EQ(r.url, origin_.Url("/doc"));
  EXPECT_EQ(r.final_url, origin_.Url("/doc"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.bytes, 5u);
  EXPECT_EQ(r.content_type, "text/plain");
  EXPECT_EQ(HeaderValue(r, "x-test"), "Yes");
  EXPECT_EQ(HeaderValue(r, "content-length"), "5");
  EXPECT_FALSE(HasHeader(r, "X-Test"));  // names are lower-cased
  EXPECT_GE(r.started, before - std::chrono::seconds(1));
  EXPECT_GE(r.duration.count(), 0);
  EXPECT_EQ(fetcher_.InFlight(), 0u);
  EXPECT_EQ(origin_.Hits("/doc"), 1u);
}

TEST_F(FetcherBasic, LogsOneDebugLinePerCompletionWithoutTheQuery) {
  origin_.Route("/doc", {200, {}, "hello"});
  ASSERT_TRUE(SetupLogging({"debug", false}));
  ::testing::internal::CaptureStderr();
  const FetchResult r = FetchSync(fetcher_, LoopbackRequest(origin_.Url("/doc?token=secret")));
  Logger("fetch")->flush();
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(SetupLogging({"info", false}));
  EXPECT_FALSE(r.error);
  EXPECT_NE(log.find("[fetch]"), std::string::npos) << log;
  EXPECT_NE(log.find("source=test-source status=200 bytes=5 duration="), std::string::npos) << log;
  EXPECT_NE(log.find("url=" + origin_.Url("/doc")), std::string::npos) << log;
  EXPECT_EQ(log.find("secret"), std::string::npos) << log;
}

TEST_F(FetcherBasic, NotFoundIsPermanentAndKeepsTheResponse) {
  origin_.Route("/gone", {404, {{"Content-Type", "text/plain"}}, "not here"});
  const FetchResult r = FetchSync(fetcher_, LoopbackRequest(origin_.Url("/gone")));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error_class, ErrorClass::kPermanent);
  EXPECT_EQ(r.error->message, "HTTP 404 Not Found");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "not here");
  EXPECT_EQ(r.content_type, "text/plain");
}

TEST_F(FetcherBasic, StatusesAreClassified) {
  const struct {
    int status;
    ErrorClass expected;
  } cases[] = {{500, ErrorClass::kRetryable}, {503, ErrorClass::kRetryable},
               {429, ErrorClass::kRetryable}, {408, ErrorClass::kRetryable},
               {403, ErrorClass::kPermanent}, {410, ErrorClass::kPermanent}};
  for (const auto& c : cases) {
    const std::string path = "/status/" + std::to_string(c.status);
    origin_.Route(path, {c.status, {}, "body"});
    const FetchResult r = FetchSync(fetcher_, LoopbackRequest(origin_.Url(path)));
    ASSERT_TRUE(r.error) << c.status;
    EXPECT_EQ(r.error->error_class, c.expected) << c.status;
    EXPECT_EQ(r.status, c.status);
    EXPECT_EQ(r.body, "body");
  }
  const FetchResult r = FetchSync(fetcher_, LoopbackRequest(origin_.Url("/status/500")));
  EXPECT_EQ(r.error->message, "HTTP 500 Internal Server Error");
}

TEST_F(FetcherBasic, FollowsRedirectsAndKeepsOnlyTheFinalHeaders) {
  origin_.Route("/old", {302, {{"Location", "/new"}, {"X-First", "1"}}, "moved"});
  origin_.Route("/new", {200, {{"X-Second", "2"}}, "here"});
  const FetchResult r = FetchSync(fetcher_, LoopbackRequest(origin_.Url("/old")));
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.url, origin_.Url("/old"));
  EXPECT_EQ(r.final_url, origin_.Url("/new"));
  EXPECT_EQ(r.body, "here");
  EXPECT_EQ(HeaderValue(r, "x-second"), "2");
  EXPECT_FALSE(HasHeader(r, "x-first"));
  EXPECT_FALSE(HasHeader(r, "location"));
}

TEST_F(FetcherBasic, TooManyRedirectsIsPermanent) {
  origin_.Route("/loop", {302, {{"Location", "/loop"}}, ""});
  FetchRequest request = LoopbackRequest(origin_.Url("/loop"));
  request.max_redirects = 2;
  const FetchResult r = FetchSync(fetcher_, request);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error_class, ErrorClass::kPermanent);
  EXPECT_EQ(origin_.Hits("/loop"), 3u);
}

TEST_F(FetcherBasic, RedirectToAFileUrlIsRefused) {
  origin_.Route("/sneaky", {302, {{"Location", "file:///etc/passwd"}}, ""});
  const FetchResult r = FetchSync(fetcher_, LoopbackRequest(origin_.Url("/sneaky")));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error_class, ErrorClass::kPermanent);
  EXPECT_TRUE(r.body.empty());
}

TEST_F(FetcherBasic, PostSendsBodyAndHeaders) {
  origin_.Route("/api", {201, {}, "created"});
  FetchRequest request = LoopbackRequest(origin_.Url("/api?x=1"));
  request.method = "POST";
  request.body = R"({"query":"feeds"})";
  request.headers = {{"Content-Type", "application/json"}, {"X-Token", "abc"}, {"X-Empty", ""}};
  request.user_agent = "tributary-test/1.0";
  const FetchResult r = FetchSync(fetcher_, request);
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(r.status, 201);
  const auto requests = origin_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/api?x=1");
  EXPECT_EQ(requests[0].body, R"({"query":"feeds"})");
  EXPECT_EQ(requests[0].Header("content-type"), "application/json");
  EXPECT_EQ(requests[0].Header("X-Token"), "abc");
  EXPECT_EQ(requests[0].Header("user-agent"), "tributary-test/1.0");
  EXPECT_EQ(requests[0].Header("expect"), "");
  bool saw_empty = false;
  for (const auto& [name, value] : requests[0].headers) saw_empty |= name == "x-empty";
  EXPECT_TRUE(saw_empty);
}

TEST_F(FetcherBasic, OtherMethodsAreSentAsIs) {
  origin_.Route("/thing", {204, {}, ""});
  FetchRequest request = LoopbackRequest(origin_.Url("/thing"));
  request.method = "DELETE";
  const FetchResult r = FetchSync(fetcher_, request);
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(r.status, 204);
  ASSERT_EQ(origin_.Requests().size(), 1u);
  EXPECT_EQ(origin_.Requests()[0].method, "DELETE");
}

TEST_F(FetcherBasic, AcceptsAndDecodesGzip) {
  if (!TestOrigin::GzipSupported()) GTEST_SKIP() << "test origin built without zlib";
  const std::string text(50000, 'a');
  Response response{200, {{"Content-Type", "text/plain"}}, text};
  response.gzip = true;
  origin_.Route("/zipped", response);
  const FetchResult r = FetchSync(fetcher_, LoopbackRequest(origin_.Url("/zipped")));
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(r.body, text);
  EXPECT_EQ(r.bytes, text.size());
  EXPECT_EQ(HeaderValue(r, "content-encoding"), "gzip");
  EXPECT_NE(origin_.Requests().at(0).Header("accept-encoding").find("gzip"), std::string::npos);
}

TEST_F(FetcherBasic, ReadsFileUrls) {
  char dir[] = "/tmp/tributary-fetch-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/feed.xml";
  std::ofstream(path) << "<rss/>";
  const FetchResult r = FetchSync(fetcher_, LoopbackRequest("file://" + path));
  EXPECT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(r.body, "<rss/>");
  EXPECT_EQ(r.status, 0);
  const FetchResult missing = FetchSync(fetcher_, LoopbackRequest("file://" + path + ".nope"));
  ASSERT_TRUE(missing.error);
  EXPECT_EQ(missing.error->error_class, ErrorClass::kPermanent);
  unlink(path.c_str());
  rmdir(dir);
}

TEST_F(FetcherBasic, BadUrlsArePermanent) {
  for (const char* url :
       {"ftp://127.0.0.1/file", "gopher://127.0.0.1/", "http://", "http://exa mple.com/"}) {
    const FetchResult r = FetchSync(fetcher_, LoopbackRequest(url));
    ASSERT_TRUE(r.error) << url;
    EXPECT_EQ(r.error->error_class, ErrorClass::kPermanent) << url << ": " << r.error->message;
    EXPECT_EQ(r.status, 0);
  }
}

}  // namespace
}  // namespace tributary::fetchers
