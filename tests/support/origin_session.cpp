#include "tests/support/origin_session.hpp"

#include <cctype>
#include <exception>
#include <iostream>
#include <string>
#include <utility>

#include "tests/support/gzip.hpp"

namespace tributary::test_support {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr uint64_t kMaxRequestBody = 64ull << 20;

RecordedRequest Record(const http::request<http::string_body>& request, uint64_t connection) {
  RecordedRequest r;
  r.method = std::string(request.method_string());
  r.target = std::string(request.target());
  r.path = r.target.substr(0, r.target.find('?'));
  r.body = request.body();
  r.connection = connection;
  for (const auto& field : request) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  return r;
}

}  // namespace

OriginSession::OriginSession(asio::ip::tcp::socket socket, std::shared_ptr<OriginState> state,
                             uint64_t connection)
    : stream_(std::move(socket)),
      timer_(stream_.get_executor()),
      state_(std::move(state)),
      connection_(connection) {}

void OriginSession::Start() { DoRead(); }

void OriginSession::Close() {
  beast::error_code ignored;
  stream_.socket().close(ignored);
}

void OriginSession::DoRead() {
  parser_.emplace();
  parser_->body_limit(kMaxRequestBody);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&OriginSession::OnRead, shared_from_this()));
}

void OriginSession::OnRead(beast::error_code ec, size_t /*bytes*/) {
  if (ec == http::error::end_of_stream) return DoClose();
  if (ec) return;  // the client went away or sent garbage: the session just ends
  try {
    const auto& request = parser_->get();
    keep_alive_ = request.keep_alive();
    head_ = request.method() == http::verb::head;
    reply_ = state_->Handle(Record(request, connection_));
  } catch (const std::exception& e) {
    // The session's one catch: answer 500 rather than take the origin's thread down.
    std::cerr << "test origin: handling a request failed: " << e.what() << "\n";
    reply_ = Response{500, {}, std::string("test origin: ") + e.what() + "\n"};
  }
  if (reply_.close_without_reply) {
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
    return;
  }
  if (reply_.delay.count() > 0) {
    timer_.expires_after(reply_.delay);
    timer_.async_wait(beast::bind_front_handler(&OriginSession::OnDelay, shared_from_this()));
    return;
  }
  DoWrite();
}

void OriginSession::OnDelay(beast::error_code ec) {
  if (ec) return;
  DoWrite();
}

void OriginSession::DoWrite() {
  response_ = {};
  response_.version(11);
  response_.result(static_cast<unsigned>(reply_.status));
  response_.set(http::field::server, "tributary-test-origin");
  for (const auto& [name, value] : reply_.headers) response_.set(name, value);
  std::string body = std::move(reply_.body);
  if (reply_.gzip) {
    if (auto zipped = Gzip(body)) {
      body = std::move(*zipped);
      response_.set(http::field::content_encoding, "gzip");
    }
  }
  response_.body() = std::move(body);
  response_.keep_alive(keep_alive_);
  response_.prepare_payload();
  if (head_) response_.body().clear();  // Content-Length still tells the size
  http::async_write(stream_, response_,
                    beast::bind_front_handler(&OriginSession::OnWrite, shared_from_this()));
}

void OriginSession::OnWrite(beast::error_code ec, size_t /*bytes*/) {
  if (ec) return;
  if (!keep_alive_) return DoClose();
  DoRead();
}

void OriginSession::DoClose() {
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace tributary::test_support
