#pragma once
// Routing of API requests to handlers by method and path pattern ("/api/v1/views/{id}/records"),
// with what every route shares applied in one place: access control (auth.hpp), CORS, ETag and
// If-None-Match (304) on reads, gzip when the client accepts it, HEAD, OPTIONS, and the request
// metrics (by route pattern and status).
// A handler answers at once (Handler), later from any thread (AsyncHandler: long-poll, preview),
// or with an event stream the session then drives (Outcome::stream: Server-Sent Events).
// Handlers may block (storage reads), so sessions run Dispatch on the handler thread pool. A
// route may also have a Peek: a lookup that never blocks (a rendered page still valid), which
// sessions try on their own thread first (AnswerNow), saving two thread hand-offs per request.
// Thread safety: routes are added before serving starts; Dispatch is then const and reentrant.

#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "service/api/auth.hpp"

namespace tributary::service::api {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

class EventStream;
class ResponseCache;

struct RequestContext {
  std::shared_ptr<const Request> owner;  // keeps `request` alive for deferred handlers
  const Request& request;
  std::string path;                                // decoded path, without query
  std::string route;                               // the matched pattern
  std::map<std::string, std::string> path_params;  // {id} -> value
  std::multimap<std::string, std::string> query;   // decoded query parameters
  TokenRole role = TokenRole::kRead;               // of the token presented (read when none)
  bool authenticated = false;                      // a valid token was presented
  boost::asio::any_io_executor executor;           // the connection's, for timers
  boost::asio::any_io_executor blocking;           // the handler pool's, for blocking work

  // The first value of a query parameter, or nullptr.
  const std::string* Query(const std::string& name) const;
  std::vector<std::string> QueryAll(const std::string& name) const;
};

// What a route produced: a response, or (stream set) the response header of an event stream
// the session drives afterwards.
struct Outcome {
  Response response;
  std::shared_ptr<EventStream> stream;
};

using Handler = std::function<Response(const RequestContext&)>;
// Completes a deferred request exactly once, from any thread.
using Respond = std::function<void(Outcome)>;
using AsyncHandler = std::function<void(std::shared_ptr<const RequestContext>, Respond)>;
// The response when it can be had without blocking (no storage read, no long wait), else
// nullopt: the request then goes to the route's handler.
using Peek = std::function<std::optional<Response>(const RequestContext&)>;

// Per-request policy the router applies: who may call, and the CORS origins. Read on every
// request, so it follows configuration reloads.
struct RouterPolicy {
  std::function<AccessPolicy()> access;
  std::function<std::vector<std::string>()> cors_origins;
};

class Router {
 public:
  explicit Router(RouterPolicy policy = {});
  ~Router();

  void Add(http::verb method, std::string pattern, Access access, Handler handler, Peek peek = {});
  void AddAsync(http::verb method, std::string pattern, Access access, AsyncHandler handler);

  // Routes the request and calls `done` once (at once for plain handlers). 404 for unknown
  // paths, 405 (with Allow) for known paths with another method, 400 for undecodable targets,
  // 401/403 from access control; all as JSON errors.
  void Dispatch(std::shared_ptr<const Request> request, boost::asio::any_io_executor executor,
                boost::asio::any_io_executor blocking, Respond done) const;

  // The finished outcome when the request's route can answer it without blocking (its Peek,
  // after access control); nullopt otherwise, and nothing is recorded: Dispatch it then.
  std::optional<Outcome> AnswerNow(std::shared_ptr<const Request> request,
                                   boost::asio::any_io_executor executor) const;

  // Every route served, as (method, pattern), in the order added (for the OpenAPI check).
  std::vector<std::pair<http::verb, std::string>> Routes() const;

 private:
  struct Route {
    http::verb method;
    std::string pattern;
    std::vector<std::string> segments;  // "{id}" segments capture
    Access access;
    AsyncHandler handler;
    Peek peek;  // may be empty
  };
  // The route for `method` on the path `segments` (HEAD finds GET routes), with its {params};
  // nullptr when none, and then `allowed` lists the methods the path has.
  const Route* Match(const std::vector<std::string>& segments, http::verb method,
                     std::map<std::string, std::string>& params,
                     std::vector<std::string>& allowed) const;
  // Headers and transformations every response gets (CORS, ETag/304, gzip, HEAD, metrics).
  Outcome Finish(const Request& request, const std::string& route, Outcome outcome,
                 std::chrono::steady_clock::time_point started) const;

  // The gzip body of `body`, whose entity tag is `etag`: compressed once, then remembered.
  std::optional<std::string> GzipOf(const std::string& body, const std::string& etag) const;

  RouterPolicy policy_;
  std::vector<Route> routes_;
  // Compressed bodies by entity tag: the same pages are asked for again and again, and
  // compressing one costs far more than sending it.
  std::unique_ptr<ResponseCache> gzipped_;
};

// The request target with the characters curl sends unescaped but RFC 3986 forbids (`<`, `>`,
// `"`, `{`, `}`, `|`, `\`, `^`, backtick, `[`, `]`, non-ASCII bytes) percent-encoded; the rest
// is unchanged, so a malformed target stays malformed.
std::string EncodeLenientTarget(std::string_view target);

// {"error":{"code":…, "message":…}} with the given status.
Response JsonError(const Request& request, http::status status, std::string_view code,
                   std::string_view message);
// A 400 naming the parameter at fault.
Response ParameterError(const Request& request, std::string_view parameter,
                        std::string_view message);
Response JsonResponse(const Request& request, http::status status, const nlohmann::json& body);
Response TextResponse(const Request& request, http::status status, std::string content_type,
                      std::string body);

}  // namespace tributary::service::api
