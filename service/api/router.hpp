#pragma once
// Routing of API requests to handlers by method and path pattern ("/api/v1/views/{id}/records").
// Handlers are plain functions from a parsed request to a response; they may block (storage
// reads), so sessions run them on the handler thread pool, never on the network threads.
// Thread safety: routes are added before serving starts; Dispatch is then const and reentrant.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace tributary::service::api {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

struct RequestContext {
  const Request& request;
  std::string path;                                // decoded path, without query
  std::map<std::string, std::string> path_params;  // {id} -> value
  std::multimap<std::string, std::string> query;   // decoded query parameters

  // The first value of a query parameter, or nullptr.
  const std::string* Query(const std::string& name) const;
};

using Handler = std::function<Response(const RequestContext&)>;

class Router {
 public:
  void Add(http::verb method, std::string pattern, Handler handler);
  // 404 for unknown paths, 405 (with Allow) for known paths with another method, 400 for
  // undecodable targets; all as JSON errors.
  Response Dispatch(const Request& request) const;

 private:
  struct Route {
    http::verb method;
    std::vector<std::string> segments;  // "{id}" segments capture
    Handler handler;
  };
  std::vector<Route> routes_;
};

// {"error":{"code":…, "message":…}} with the given status.
Response JsonError(const Request& request, http::status status, std::string_view code,
                   std::string_view message);
Response JsonResponse(const Request& request, http::status status, const nlohmann::json& body);

}  // namespace tributary::service::api
