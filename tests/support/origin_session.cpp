#include "tests/support/origin_session.hpp"

#include <boost/beast/http/status.hpp>
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

RecordedRequest Record(const http::request<http::string_body>& request, uint64_t connection,
                       const std::string& origin) {
  RecordedRequest r;
  r.method = std::string(request.method_string());
  r.target = std::string(request.target());
  r.path = r.target.substr(0, r.target.find('?'));
  r.body = request.body();
  r.connection = connection;
  r.origin = origin;
  r.received = std::chrono::steady_clock::now();
  for (const auto& field : request) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  return r;
}

bool HasHeader(const HeaderList& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < n.size(); ++i) {
      same &= std::tolower(static_cast<unsigned char>(n[i])) ==
              std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return true;
  }
  return false;
}

}  // namespace

OriginSession::OriginSession(asio::ip::tcp::socket socket, std::shared_ptr<OriginState> state,
                             uint64_t connection, std::string origin_address)
    : stream_(std::move(socket)),
      timer_(stream_.get_executor()),
      state_(std::move(state)),
      connection_(connection),
      origin_address_(std::move(origin_address)) {}

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
    auto [response, index] = state_->Handle(Record(request, connection_, origin_address_));
    reply_ = std::move(response);
    index_ = index;
  } catch (const std::exception& e) {
    // The session's one catch: answer 500 rather than take the origin's thread down.
    std::cerr << "test origin: handling a request failed: " << e.what() << "\n";
    reply_ = Response{500, {}, std::string("test origin: ") + e.what() + "\n"};
  }
  if (reply_.close_without_reply) {
    state_->Finished(index_);
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
  Plan();
  DoWritePiece();
}

void OriginSession::OnDelay(beast::error_code ec) {
  if (ec) return;
  Plan();
  DoWritePiece();
}

// Serialises the answer by hand (Beast would refuse a wrong Content-Length) and cuts it into
// the pieces the faults ask for.
void OriginSession::Plan() {
  std::string body = std::move(reply_.body);
  HeaderList headers = reply_.headers;
  if (reply_.gzip && !body.empty()) {
    if (auto zipped = Gzip(body)) {
      body = std::move(*zipped);
      headers.emplace_back("Content-Encoding", "gzip");
    }
  }
  const bool no_body = head_ || reply_.status == 304 || reply_.status == 204 ||
                       (reply_.status >= 100 && reply_.status < 200);
  std::string head = "HTTP/1.1 " + std::to_string(reply_.status) + " " +
                     std::string(http::obsolete_reason(static_cast<http::status>(reply_.status))) +
                     "\r\nServer: tributary-test-origin\r\n";
  for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
  if (!HasHeader(headers, "content-length") && reply_.status != 304 && reply_.status != 204) {
    head += "Content-Length: " + std::to_string(body.size() + reply_.missing_bytes) + "\r\n";
  }
  end_ = keep_alive_ ? End::kKeepAlive : End::kClose;
  if (reply_.missing_bytes > 0) end_ = End::kClose;
  head += end_ == End::kKeepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  if (no_body) body.clear();
  if (reply_.reset_after && *reply_.reset_after < body.size()) {
    body.resize(*reply_.reset_after);
    end_ = End::kReset;
  }

  pieces_.clear();
  const size_t step = reply_.drip_bytes;
  const auto add = [&](const std::string& bytes, bool drip) {
    if (!drip || step == 0) {
      if (!bytes.empty()) pieces_.push_back({bytes, std::chrono::milliseconds(0)});
      return;
    }
    for (size_t at = 0; at < bytes.size(); at += step) {
      pieces_.push_back({bytes.substr(at, step), reply_.drip_interval});
    }
  };
  add(head, reply_.drip_headers);
  add(body, true);
}

void OriginSession::DoWritePiece() {
  if (pieces_.empty()) return Finish();
  if (pieces_.front().delay_before.count() > 0) {
    timer_.expires_after(pieces_.front().delay_before);
    pieces_.front().delay_before = std::chrono::milliseconds(0);
    timer_.async_wait(beast::bind_front_handler(&OriginSession::OnPieceTimer, shared_from_this()));
    return;
  }
  asio::async_write(stream_.socket(), asio::buffer(pieces_.front().bytes),
                    beast::bind_front_handler(&OriginSession::OnWrite, shared_from_this()));
}

void OriginSession::OnPieceTimer(beast::error_code ec) {
  if (ec) return;
  DoWritePiece();
}

void OriginSession::OnWrite(beast::error_code ec, size_t /*bytes*/) {
  if (ec) {
    state_->Finished(index_);
    return;
  }
  pieces_.pop_front();
  DoWritePiece();
}

void OriginSession::Finish() {
  state_->Finished(index_);
  switch (end_) {
    case End::kKeepAlive:
      return DoRead();
    case End::kClose:
      return DoClose();
    case End::kReset:
      return Reset();
  }
}

void OriginSession::Reset() {
  beast::error_code ignored;
  // SO_LINGER with a zero timeout: close() sends RST instead of FIN.
  stream_.socket().set_option(asio::socket_base::linger(true, 0), ignored);
  stream_.socket().close(ignored);
}

void OriginSession::DoClose() {
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace tributary::test_support
