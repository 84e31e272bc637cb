#include "service/api/router.hpp"

#include <boost/url/parse.hpp>

namespace tributary::service::api {
namespace {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < path.size()) {
    if (path[start] == '/') {
      ++start;
      continue;
    }
    const size_t end = path.find('/', start);
    out.emplace_back(path.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

bool IsParam(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

const std::string* RequestContext::Query(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? nullptr : &it->second;
}

void Router::Add(http::verb method, std::string pattern, Handler handler) {
  routes_.push_back(Route{method, SplitPath(pattern), std::move(handler)});
}

Response Router::Dispatch(const Request& request) const {
  auto target = boost::urls::parse_origin_form(request.target());
  if (!target) {
    return JsonError(request, http::status::bad_request, "bad_request",
                     "the request target is not a valid path");
  }
  std::string path = target->path();  // percent-decoded
  const auto segments = SplitPath(path);

  std::vector<std::string> allowed;
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      if (IsParam(route.segments[i])) {
        params[route.segments[i].substr(1, route.segments[i].size() - 2)] = segments[i];
      } else {
        match = route.segments[i] == segments[i];
      }
    }
    if (!match) continue;
    const bool head_as_get =
        request.method() == http::verb::head && route.method == http::verb::get;
    if (route.method != request.method() && !head_as_get) {
      allowed.emplace_back(http::to_string(route.method));
      continue;
    }
    RequestContext ctx{request, path, std::move(params), {}};
    for (const auto& param : target->params()) {
      ctx.query.emplace(param.key, param.has_value ? param.value : std::string());
    }
    Response response = route.handler(ctx);
    if (head_as_get) {
      response.content_length(response.body().size());
      response.body().clear();
    }
    return response;
  }
  if (!allowed.empty()) {
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    Response r = JsonError(request, http::status::method_not_allowed, "method_not_allowed",
                           std::string(request.method_string()) + " is not allowed on " + path +
                               "; allowed: " + allow);
    r.set(http::field::allow, allow);
    return r;
  }
  return JsonError(request, http::status::not_found, "not_found", "no such endpoint: " + path);
}

Response JsonResponse(const Request& request, http::status status, const nlohmann::json& body) {
  Response r{status, request.version()};
  r.set(http::field::content_type, "application/json");
  r.set(http::field::cache_control, "no-store");
  r.keep_alive(request.keep_alive());
  r.body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.body() += '\n';
  r.prepare_payload();
  return r;
}

Response JsonError(const Request& request, http::status status, std::string_view code,
                   std::string_view message) {
  return JsonResponse(
      request, status,
      {{"error", {{"code", std::string(code)}, {"message", std::string(message)}}}});
}

}  // namespace tributary::service::api
