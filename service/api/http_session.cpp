#include "service/api/http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <sstream>

#include "common/log.hpp"
#include "service/api/sse_session.hpp"

namespace tributary::service::api {

namespace beast = boost::beast;
namespace asio = boost::asio;

HttpSession::HttpSession(asio::ip::tcp::socket&& socket, const ServerOptions& options,
                         std::shared_ptr<const Router> router, asio::thread_pool& handlers,
                         std::shared_ptr<std::atomic<size_t>> connections)
    : stream_(std::move(socket)),
      options_(options),
      router_(std::move(router)),
      handlers_(handlers),
      connections_(std::move(connections)) {}

HttpSession::~HttpSession() { --*connections_; }

void HttpSession::Run() {
  // Start on the stream's strand-less executor; the session is single-threaded by construction
  // (one outstanding operation at a time).
  asio::dispatch(stream_.get_executor(),
                 beast::bind_front_handler(&HttpSession::DoRead, shared_from_this()));
}

void HttpSession::DoRead() {
  parser_.emplace();
  parser_->body_limit(options_.max_body);
  parser_->header_limit(options_.max_header);
  buffer_.clear();
  stream_.expires_after(options_.read_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
}

void HttpSession::OnRead(beast::error_code ec, size_t) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
    return DoClose();
  }
  if (ec == http::error::body_limit || ec == http::error::header_limit || ec) {
    Request req;
    req.version(11);
    req.keep_alive(false);
    auto status = http::status::bad_request;
    std::string code = "bad_request";
    std::string message = "malformed HTTP request: " + ec.message();
    if (ec == http::error::body_limit) {
      status = http::status::payload_too_large;
      code = "payload_too_large";
      message = "request body exceeds " + std::to_string(options_.max_body) + " bytes";
    } else if (ec == http::error::header_limit) {
      status = http::status::request_header_fields_too_large;
      code = "header_too_large";
      message = "request header exceeds " + std::to_string(options_.max_header) + " bytes";
    }
    return DoWrite(JsonError(req, status, code, message));
  }
  stream_.expires_never();
  auto request = std::make_shared<const Request>(parser_->release());
  // A response that needs no blocking work (a rendered page still valid) is written from here.
  std::optional<Outcome> now;
  try {
    now = router_->AnswerNow(request, stream_.get_executor());
  } catch (const std::exception&) {
    // The handler pool's path below answers it (and logs what fails there).
  }
  if (now) return DoWrite(std::move(now->response));
  // Handlers may block (storage reads): run them on the handler pool, then come back here.
  asio::post(handlers_, [self = shared_from_this(), request] {
    auto respond = [self](Outcome outcome) {
      asio::post(self->stream_.get_executor(), [self, outcome = std::move(outcome)]() mutable {
        if (outcome.stream) return self->DoStream(std::move(outcome));
        self->DoWrite(std::move(outcome.response));
      });
    };
    try {
      self->router_->Dispatch(request, self->stream_.get_executor(), self->handlers_.get_executor(),
                              respond);
    } catch (const std::exception& e) {
      Logger("api")->error("{} {}: handler failed: {}", std::string(request->method_string()),
                           std::string(request->target().substr(0, request->target().find('?'))),
                           e.what());
      respond(Outcome{JsonError(*request, http::status::internal_server_error, "internal",
                                "internal error; see the daemon's log"),
                      nullptr});
    }
  });
}

void HttpSession::DoStream(Outcome outcome) {
  // The connection now belongs to the event stream: send the header as is, then events.
  Response& r = outcome.response;
  r.set(http::field::server, "tributary");
  r.keep_alive(false);
  std::ostringstream header;
  header << r.base();
  std::make_shared<SseSession>(std::move(stream_), std::move(outcome.stream), handlers_,
                               options_.heartbeat, options_.read_timeout, connections_)
      ->Run(header.str());
}

void HttpSession::DoWrite(Response response) {
  response.set(http::field::server, "tributary");
  const bool keep_alive = response.keep_alive();
  response_ = std::make_shared<Response>(std::move(response));
  stream_.expires_after(options_.read_timeout);
  http::async_write(
      stream_, *response_,
      beast::bind_front_handler(&HttpSession::OnWrite, shared_from_this(), keep_alive));
}

void HttpSession::OnWrite(bool keep_alive, beast::error_code ec, size_t) {
  response_.reset();
  if (ec || !keep_alive) return DoClose();
  DoRead();
}

void HttpSession::DoClose() {
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream_.socket().close(ignored);
}

}  // namespace tributary::service::api
