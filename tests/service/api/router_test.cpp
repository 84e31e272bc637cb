// The router on its own: lenient request targets (what curl sends unescaped), CORS, answering
// without blocking (a route's Peek) only where access control allows, and the check that every
// route served is described in docs/openapi.json (the file, not the copy embedded in the binary).
#include "service/api/router.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <fstream>
#include <set>

#include "service/api/handlers.hpp"
#include "tests/support/gzip.hpp"

namespace tributary::service::api {
namespace {

std::string SourceDir() {
  const char* dir = std::getenv("TRIBUTARY_SOURCE_DIR");
  return dir ? dir : ".";
}

// Dispatches a request through `router` (plain handlers answer at once).
Response Dispatched(const Router& router, http::verb method, std::string target,
                    std::vector<std::pair<http::field, std::string>> headers = {}) {
  boost::asio::io_context io;
  auto request = std::make_shared<Request>(method, target, 11);
  for (auto& [name, value] : headers) request->set(name, value);
  std::optional<Response> out;
  router.Dispatch(request, io.get_executor(), io.get_executor(),
                  [&](Outcome o) { out = std::move(o.response); });
  io.run();
  EXPECT_TRUE(out.has_value());
  return out ? *out : Response{};
}

TEST(Router, EncodesWhatCurlSendsUnescapedAndNothingElse) {
  EXPECT_EQ(EncodeLenientTarget("/v?filter=price<20&x=a>b"), "/v?filter=price%3C20&x=a%3Eb");
  EXPECT_EQ(EncodeLenientTarget("/v?q=\"{|}\\^`[]\""), "/v?q=%22%7B%7C%7D%5C%5E%60%5B%5D%22");
  EXPECT_EQ(EncodeLenientTarget("/v?title=Caf\xc3\xa9"), "/v?title=Caf%C3%A9");
  // Valid targets, escapes included, pass unchanged; ambiguous characters are not touched.
  EXPECT_EQ(EncodeLenientTarget("/a/b?c=%3C&d=e+f"), "/a/b?c=%3C&d=e+f");
  EXPECT_EQ(EncodeLenientTarget("/a#frag"), "/a#frag");
  EXPECT_EQ(EncodeLenientTarget("/a?x=%zz"), "/a?x=%zz");
}

TEST(Router, AcceptsUnescapedComparisonsInTheQuery) {
  Router router;
  router.Add(http::verb::get, "/items", Access::kOpen, [](const RequestContext& r) {
    return JsonResponse(r.request, http::status::ok,
                        {{"filters", r.QueryAll("filter")}, {"sort", *r.Query("sort")}});
  });
  auto reply =
      Dispatched(router, http::verb::get, "/items?filter=price<20&filter=stock>=1&sort=price");
  ASSERT_EQ(reply.result(), http::status::ok) << reply.body();
  const auto body = nlohmann::json::parse(reply.body());
  EXPECT_EQ(body["filters"], nlohmann::json({"price<20", "stock>=1"}));
  EXPECT_EQ(body["sort"], "price");
  // Still refused: what cannot be read one way only.
  for (const char* bad : {"/items?x=%zz", "/items#x", "http://host/items"}) {
    auto refused = Dispatched(router, http::verb::get, bad);
    EXPECT_EQ(refused.result(), http::status::bad_request) << bad;
    EXPECT_EQ(nlohmann::json::parse(refused.body())["error"]["code"], "bad_request") << bad;
  }
}

TEST(Router, CorsIsOffUntilAnOriginIsConfigured) {
  std::vector<std::string> origins;
  RouterPolicy policy;
  policy.cors_origins = [&] { return origins; };
  Router router(policy);
  router.Add(http::verb::get, "/items", Access::kOpen, [](const RequestContext& r) {
    auto response = JsonResponse(r.request, http::status::ok, nlohmann::json::array());
    response.set("X-Total-Count", "0");
    return response;
  });
  const std::vector<std::pair<http::field, std::string>> from_app = {
      {http::field::origin, "https://app.example"},
      {http::field::access_control_request_method, "GET"}};
  auto plain = Dispatched(router, http::verb::get, "/items", from_app);
  auto preflight = Dispatched(router, http::verb::options, "/items", from_app);
  EXPECT_EQ(preflight.result(), http::status::no_content);
  for (const auto* r : {&plain, &preflight}) {
    for (const auto& field : *r) {
      EXPECT_NE(std::string(field.name_string()).rfind("Access-Control-", 0), 0u)
          << field.name_string();
    }
  }

  origins = {"https://app.example"};
  plain = Dispatched(router, http::verb::get, "/items", from_app);
  EXPECT_EQ(plain[http::field::access_control_allow_origin], "https://app.example");
  EXPECT_NE(plain[http::field::access_control_expose_headers].find("X-Total-Count"),
            std::string::npos);
  EXPECT_NE(plain[http::field::vary].find("Origin"), std::string::npos);
  preflight = Dispatched(router, http::verb::options, "/items", from_app);
  EXPECT_EQ(preflight.result(), http::status::no_content);
  EXPECT_EQ(preflight[http::field::access_control_allow_origin], "https://app.example");
  EXPECT_EQ(preflight[http::field::access_control_allow_methods], "GET, HEAD, OPTIONS");
  EXPECT_NE(preflight[http::field::access_control_allow_headers].find("Authorization"),
            std::string::npos);
  // Another origin gets nothing.
  auto other = Dispatched(router, http::verb::get, "/items",
                          {{http::field::origin, "https://evil.example"}});
  EXPECT_EQ(other[http::field::access_control_allow_origin], "");
}

TEST(Router, AnswersNowOnlyWhatItsPeekHasAndAccessAllows) {
  config::ApiConfig api;
  api.tokens = {{"read-token-0123456789abcdef", TokenRole::kRead}};
  RouterPolicy policy;
  policy.access = [&] { return AccessPolicy::From(api); };
  Router router(policy);
  int handled = 0;
  std::string ready;  // what the peek has; empty: nothing yet
  router.Add(
      http::verb::get, "/items/{id}", Access::kRead,
      [&](const RequestContext& r) {
        ++handled;
        return TextResponse(r.request, http::status::ok, "text/plain", "rendered " + r.path);
      },
      [&](const RequestContext& r) -> std::optional<Response> {
        if (ready.empty()) return std::nullopt;
        auto response = TextResponse(r.request, http::status::ok, "text/plain", ready);
        response.set(http::field::etag, "\"given\"");
        return response;
      });
  router.Add(http::verb::get, "/plain", Access::kOpen, [](const RequestContext& r) {
    return TextResponse(r.request, http::status::ok, "text/plain", "plain");
  });
  boost::asio::io_context io;
  auto request = [](http::verb method, std::string target, std::string token = "") {
    auto r = std::make_shared<Request>(method, target, 11);
    if (!token.empty()) r->set(http::field::authorization, "Bearer " + token);
    return r;
  };
  const std::string token = "read-token-0123456789abcdef";

  // Nothing to peek at yet, no peek on the route, no such route: the handler pool's turn.
  EXPECT_FALSE(router.AnswerNow(request(http::verb::get, "/items/a", token), io.get_executor()));
  EXPECT_FALSE(router.AnswerNow(request(http::verb::get, "/plain"), io.get_executor()));
  EXPECT_FALSE(router.AnswerNow(request(http::verb::get, "/nowhere", token), io.get_executor()));
  EXPECT_EQ(Dispatched(router, http::verb::get, "/items/a",
                       {{http::field::authorization, "Bearer " + token}})
                .body(),
            "rendered /items/a");
  EXPECT_EQ(handled, 1);

  ready = "cached page";
  auto now = router.AnswerNow(request(http::verb::get, "/items/a", token), io.get_executor());
  ASSERT_TRUE(now);
  EXPECT_EQ(now->response.result(), http::status::ok);
  EXPECT_EQ(now->response.body(), "cached page");
  EXPECT_EQ(now->response[http::field::etag], "\"given\"");  // Finish keeps the peek's ETag
  // What Finish does for every response, it does here too: 304 on a matching If-None-Match.
  auto conditional = request(http::verb::get, "/items/a", token);
  conditional->set(http::field::if_none_match, "\"given\"");
  now = router.AnswerNow(conditional, io.get_executor());
  ASSERT_TRUE(now);
  EXPECT_EQ(now->response.result(), http::status::not_modified);
  EXPECT_EQ(now->response.body(), "");
  // HEAD peeks at the GET route and sends no body.
  now = router.AnswerNow(request(http::verb::head, "/items/a", token), io.get_executor());
  ASSERT_TRUE(now);
  EXPECT_EQ(now->response.body(), "");
  EXPECT_EQ(now->response[http::field::content_length], "11");

  // Access control comes first: no token or a wrong one is never answered from the peek, and
  // the handler pool's path refuses it.
  EXPECT_FALSE(router.AnswerNow(request(http::verb::get, "/items/a"), io.get_executor()));
  EXPECT_FALSE(router.AnswerNow(request(http::verb::get, "/items/a", "wrong-token-0123456789abc"),
                                io.get_executor()));
  EXPECT_EQ(Dispatched(router, http::verb::get, "/items/a").result(), http::status::unauthorized);
  // Other methods on the path are not peeked at.
  EXPECT_FALSE(router.AnswerNow(request(http::verb::post, "/items/a", token), io.get_executor()));
  EXPECT_EQ(handled, 1);
}

TEST(Router, GzipBodiesAreRememberedByTheirTagAndNeverServedForAnotherBody) {
  Router router;
  std::string body;
  router.Add(http::verb::get, "/page", Access::kOpen, [&](const RequestContext& r) {
    return TextResponse(r.request, http::status::ok, "application/json", body);
  });
  const std::vector<std::pair<http::field, std::string>> gzip = {
      {http::field::accept_encoding, "gzip"}};
  const std::string a = "[" + std::string(4000, 'a') + "]";
  const std::string b = "[" + std::string(4000, 'b') + "]";
  std::map<std::string, std::string> sent;  // body -> the compressed bytes first sent for it
  for (const std::string* next : {&a, &a, &b, &a, &b}) {
    body = *next;
    auto reply = Dispatched(router, http::verb::get, "/page", gzip);
    ASSERT_EQ(reply[http::field::content_encoding], "gzip");
    EXPECT_EQ(test_support::Gunzip(reply.body()), body);
    EXPECT_EQ(reply[http::field::content_length], std::to_string(reply.body().size()));
    auto [it, first] = sent.emplace(body, reply.body());
    if (!first) {
      EXPECT_EQ(reply.body(), it->second);  // the remembered bytes
    }
    // Without Accept-Encoding the body goes as it is.
    EXPECT_EQ(Dispatched(router, http::verb::get, "/page").body(), body);
  }
}

TEST(Router, EveryRouteServedIsInTheOpenApiDocumentAndViceVersa) {
  std::ifstream in(SourceDir() + "/docs/openapi.json");
  ASSERT_TRUE(in) << "cannot read " << SourceDir() << "/docs/openapi.json";
  const auto document = nlohmann::json::parse(in);
  std::set<std::string> documented;
  for (const auto& [path, item] : document["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      documented.insert(method + " " + path);
      EXPECT_TRUE(operation.contains("responses")) << method << " " << path;
    }
  }
  ApiContext context;
  context.config = [] { return std::make_shared<const config::Config>(); };
  const auto router = MakeApiRouter(std::move(context));
  std::set<std::string> served;
  for (const auto& [verb, pattern] : router->Routes()) {
    std::string method(http::to_string(verb));
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    served.insert(method + " " + pattern);
  }
  ASSERT_FALSE(served.empty());
  for (const auto& route : served) {
    EXPECT_TRUE(documented.count(route)) << route << " is served but not in docs/openapi.json";
  }
  for (const auto& route : documented) {
    EXPECT_TRUE(served.count(route)) << route << " is in docs/openapi.json but not served";
  }
}

}  // namespace
}  // namespace tributary::service::api
