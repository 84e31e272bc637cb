#include "service/api/router.hpp"

#include <boost/url/parse.hpp>

#include "service/api/http_util.hpp"
#include "service/api/response_cache.hpp"
#include "service/metrics/registry.hpp"

namespace tributary::service::api {
namespace {

// Bodies smaller than this are not worth a gzip header (and the CPU).
constexpr size_t kMinGzipBytes = 860;
// Compressed bodies remembered (Router::gzipped_).
constexpr size_t kGzipMemoBytes = 16 << 20;

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

// curl and other clients send some characters that RFC 3986 does not allow in a request
// target as they are, e.g. `?filter=price<20` typed on a command line. Those that cannot be
// mistaken for syntax (they are neither delimiters nor '%') are percent-encoded here, so that
// such a target means what its user typed instead of being refused. '#', '%' not followed by
// two hex digits, spaces and control characters stay errors: they are ambiguous or malformed.
bool EncodeWhenUnescaped(unsigned char c) {
  switch (c) {
    case '<':
    case '>':
    case '"':
    case '{':
    case '}':
    case '|':
    case '\\':
    case '^':
    case '`':
    case '[':
    case ']':
      return true;
    default:
      return c >= 0x80;  // bytes of UTF-8 text
  }
}

}  // namespace

std::string EncodeLenientTarget(std::string_view target) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(target.size());
  for (const char ch : target) {
    const auto c = static_cast<unsigned char>(ch);
    if (EncodeWhenUnescaped(c)) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

namespace {

bool IsParam(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

struct RequestMetrics {
  metrics::Family<metrics::Counter>& requests;
  metrics::Family<metrics::Histogram>& latency;
};

RequestMetrics& ApiMetrics() {
  auto& r = metrics::DefaultRegistry();
  static RequestMetrics m{
      r.CounterFamily("tributary_api_requests_total",
                      "API requests by route pattern, method and status code.",
                      {"route", "method", "status"}),
      r.HistogramFamily("tributary_api_request_duration_seconds",
                        "Time from a request's arrival to its response being ready, by route.",
                        {"route"}, metrics::LatencyBuckets())};
  return m;
}

void AddVary(Response& r, std::string_view what) {
  std::string vary(r[http::field::vary]);
  if (vary.find(what) != std::string::npos) return;
  r.set(http::field::vary, vary.empty() ? std::string(what) : vary + ", " + std::string(what));
}

}  // namespace

const std::string* RequestContext::Query(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? nullptr : &it->second;
}

std::vector<std::string> RequestContext::QueryAll(const std::string& name) const {
  std::vector<std::string> out;
  auto [begin, end] = query.equal_range(name);
  for (auto it = begin; it != end; ++it) out.push_back(it->second);
  return out;
}

namespace {

// What a handler gets: the request, its route, decoded path parameters and query, and who asks.
std::shared_ptr<RequestContext> MakeContext(std::shared_ptr<const Request> owner,
                                            const std::string& route, std::string path,
                                            std::map<std::string, std::string> params,
                                            const boost::urls::url_view& target,
                                            const AccessDecision& decision,
                                            boost::asio::any_io_executor executor,
                                            boost::asio::any_io_executor blocking) {
  const Request& request = *owner;
  auto ctx = std::shared_ptr<RequestContext>(new RequestContext{std::move(owner),
                                                                request,
                                                                std::move(path),
                                                                route,
                                                                std::move(params),
                                                                {},
                                                                decision.role,
                                                                decision.authenticated,
                                                                std::move(executor),
                                                                std::move(blocking)});
  for (const auto& param : target.params()) {
    ctx->query.emplace(param.key, param.has_value ? param.value : std::string());
  }
  return ctx;
}

}  // namespace

Router::Router(RouterPolicy policy)
    : policy_(std::move(policy)),
      gzipped_(std::make_unique<ResponseCache>(kGzipMemoBytes, "gzip")) {}

Router::~Router() = default;

std::optional<std::string> Router::GzipOf(const std::string& body, const std::string& etag) const {
  // The tag is a hash of the body; with the length beside it, a key names one body.
  const std::string key = etag + '/' + std::to_string(body.size());
  if (auto hit = gzipped_->Find(key, 0, nullptr)) return std::move(hit->body());
  auto gz = Gzip(body);
  if (gz) {
    Response memo;
    memo.body() = *gz;
    gzipped_->Store(key, 0, nullptr, memo);
  }
  return gz;
}

void Router::Add(http::verb method, std::string pattern, Access access, Handler handler,
                 Peek peek) {
  AddAsync(method, std::move(pattern), access,
           [handler = std::move(handler)](std::shared_ptr<const RequestContext> ctx, Respond done) {
             done(Outcome{handler(*ctx), nullptr});
           });
  routes_.back().peek = std::move(peek);
}

void Router::AddAsync(http::verb method, std::string pattern, Access access, AsyncHandler handler) {
  auto segments = SplitPath(pattern);
  routes_.push_back(
      Route{method, std::move(pattern), std::move(segments), access, std::move(handler), {}});
}

std::vector<std::pair<http::verb, std::string>> Router::Routes() const {
  std::vector<std::pair<http::verb, std::string>> out;
  for (const auto& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

const Router::Route* Router::Match(const std::vector<std::string>& segments, http::verb method,
                                   std::map<std::string, std::string>& params,
                                   std::vector<std::string>& allowed) const {
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    params.clear();
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      if (IsParam(route.segments[i])) {
        params[route.segments[i].substr(1, route.segments[i].size() - 2)] = segments[i];
      } else {
        match = route.segments[i] == segments[i];
      }
    }
    if (!match) continue;
    const bool head_as_get = method == http::verb::head && route.method == http::verb::get;
    if (route.method != method && !head_as_get) {
      allowed.emplace_back(http::to_string(route.method));
      if (route.method == http::verb::get) allowed.emplace_back("HEAD");
      continue;
    }
    return &route;
  }
  return nullptr;
}

std::optional<Outcome> Router::AnswerNow(std::shared_ptr<const Request> owner,
                                         boost::asio::any_io_executor executor) const {
  const auto started = std::chrono::steady_clock::now();
  const Request& request = *owner;
  const std::string target_text = EncodeLenientTarget(request.target());
  auto target = boost::urls::parse_origin_form(target_text);
  if (!target) return std::nullopt;
  std::string path = target->path();
  std::vector<std::string> allowed;
  std::map<std::string, std::string> params;
  const Route* route = Match(SplitPath(path), request.method(), params, allowed);
  if (route == nullptr || !route->peek) return std::nullopt;
  const auto decision = Authorize(policy_.access ? policy_.access() : AccessPolicy{}, route->access,
                                  request[http::field::authorization]);
  if (!decision.allowed) return std::nullopt;
  auto ctx = MakeContext(owner, route->pattern, std::move(path), std::move(params), *target,
                         decision, executor, {});
  auto response = route->peek(*ctx);
  if (!response) return std::nullopt;
  return Finish(request, route->pattern, Outcome{std::move(*response), nullptr}, started);
}

void Router::Dispatch(std::shared_ptr<const Request> owner, boost::asio::any_io_executor executor,
                      boost::asio::any_io_executor blocking, Respond done) const {
  const auto started = std::chrono::steady_clock::now();
  const Request& request = *owner;
  auto finish = [this, owner, started, done](const std::string& route, Outcome outcome) {
    done(Finish(*owner, route, std::move(outcome), started));
  };
  const std::string target_text = EncodeLenientTarget(request.target());
  auto target = boost::urls::parse_origin_form(target_text);
  if (!target) {
    return finish("unmatched", {JsonError(request, http::status::bad_request, "bad_request",
                                          "the request target is not a valid path"),
                                nullptr});
  }
  std::string path = target->path();  // percent-decoded
  const auto segments = SplitPath(path);

  std::vector<std::string> allowed;
  std::map<std::string, std::string> params;
  if (const Route* route = Match(segments, request.method(), params, allowed)) {
    const auto decision = Authorize(policy_.access ? policy_.access() : AccessPolicy{},
                                    route->access, request[http::field::authorization]);
    if (!decision.allowed) {
      Response r = JsonError(request, static_cast<http::status>(decision.status), decision.code,
                             decision.message);
      if (decision.status == 401) r.set(http::field::www_authenticate, "Bearer");
      return finish(route->pattern, {std::move(r), nullptr});
    }
    auto ctx = MakeContext(owner, route->pattern, std::move(path), std::move(params), *target,
                           decision, executor, blocking);
    const std::string pattern = route->pattern;
    route->handler(std::move(ctx),
                   [finish, pattern](Outcome outcome) { finish(pattern, std::move(outcome)); });
    return;
  }
  if (!allowed.empty()) {
    allowed.emplace_back("OPTIONS");
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    if (request.method() == http::verb::options) {
      Response r{http::status::no_content, request.version()};
      r.keep_alive(request.keep_alive());
      r.set(http::field::allow, allow);  // Finish adds the CORS preflight headers
      return finish("options", {std::move(r), nullptr});
    }
    Response r = JsonError(request, http::status::method_not_allowed, "method_not_allowed",
                           std::string(request.method_string()) + " is not allowed on " + path +
                               "; allowed: " + allow);
    r.set(http::field::allow, allow);
    return finish("unmatched", {std::move(r), nullptr});
  }
  finish("unmatched",
         {JsonError(request, http::status::not_found, "not_found", "no such endpoint: " + path),
          nullptr});
}

Outcome Router::Finish(const Request& request, const std::string& route, Outcome outcome,
                       std::chrono::steady_clock::time_point started) const {
  Response& r = outcome.response;
  const bool read = request.method() == http::verb::get || request.method() == http::verb::head;
  if (!outcome.stream && read && r.result() == http::status::ok) {
    // A handler may have set the ETag of its body itself (a cached page's, computed once).
    const std::string etag =
        r.count(http::field::etag) != 0 ? std::string(r[http::field::etag]) : EntityTag(r.body());
    const std::string content_type(r[http::field::content_type]);
    if (IfNoneMatchMatches(request[http::field::if_none_match], etag)) {
      r.result(http::status::not_modified);
      r.body().clear();
      r.erase(http::field::content_length);
      r.erase(http::field::content_type);
      r.set(http::field::etag, etag);
    } else if (Compressible(content_type)) {
      AddVary(r, "Accept-Encoding");
      std::string tag = etag;
      if (r.body().size() >= kMinGzipBytes && AcceptsGzip(request[http::field::accept_encoding])) {
        if (auto gz = GzipOf(r.body(), etag)) {
          r.body() = std::move(*gz);
          r.set(http::field::content_encoding, "gzip");
          tag.insert(tag.size() - 1, "-gz");
          r.prepare_payload();
        }
      }
      r.set(http::field::etag, tag);
    } else {
      r.set(http::field::etag, etag);
    }
  }
  if (policy_.cors_origins) {
    const std::string origin(request[http::field::origin]);
    if (!origin.empty()) {
      for (const auto& allowed : policy_.cors_origins()) {
        if (allowed == "*" || allowed == origin) {
          r.set(http::field::access_control_allow_origin, allowed == "*" ? "*" : origin);
          r.set(http::field::access_control_expose_headers,
                "ETag, Link, X-Next-Cursor, X-Total-Count");
          if (allowed != "*") AddVary(r, "Origin");
          // A preflight (OPTIONS of a known path) of an allowed origin: what it may send.
          if (request.method() == http::verb::options && r.result() == http::status::no_content) {
            r.set(http::field::access_control_allow_methods, std::string(r[http::field::allow]));
            r.set(http::field::access_control_allow_headers,
                  "Authorization, Content-Type, If-None-Match, Last-Event-ID, Accept");
            r.set(http::field::access_control_max_age, "600");
          }
          break;
        }
      }
    }
  }
  if (request.method() == http::verb::head && !outcome.stream) {
    const size_t size = r.body().size();
    r.body().clear();
    if (r.result() != http::status::not_modified) r.content_length(size);
  }
  auto& m = ApiMetrics();
  m.requests.With({route, std::string(request.method_string()), std::to_string(r.result_int())})
      .Inc();
  m.latency.With({route}).Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return outcome;
}

Response TextResponse(const Request& request, http::status status, std::string content_type,
                      std::string body) {
  Response r{status, request.version()};
  r.set(http::field::content_type, content_type);
  // Clients may keep a copy, but must revalidate it (with the ETag) before use.
  r.set(http::field::cache_control, "no-cache");
  r.keep_alive(request.keep_alive());
  r.body() = std::move(body);
  r.prepare_payload();
  return r;
}

Response JsonResponse(const Request& request, http::status status, const nlohmann::json& body) {
  std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text += '\n';
  return TextResponse(request, status, "application/json", std::move(text));
}

Response JsonError(const Request& request, http::status status, std::string_view code,
                   std::string_view message) {
  return JsonResponse(
      request, status,
      {{"error", {{"code", std::string(code)}, {"message", std::string(message)}}}});
}

Response ParameterError(const Request& request, std::string_view parameter,
                        std::string_view message) {
  return JsonResponse(request, http::status::bad_request,
                      {{"error",
                        {{"code", "invalid_parameter"},
                         {"parameter", std::string(parameter)},
                         {"message", std::string(parameter) + ": " + std::string(message)}}}});
}

}  // namespace tributary::service::api
