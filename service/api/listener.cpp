#include "service/api/listener.hpp"

#include <fcntl.h>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "common/log.hpp"
#include "service/api/http_session.hpp"

namespace tributary::service::api {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Worker processes are spawned from this process at any time: without close-on-exec they would
// inherit the listening socket and open connections (keeping the port bound and connections
// half-open after the daemon is gone). Asio opens and accepts without SOCK_CLOEXEC.
void SetCloseOnExec(int fd) {
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

}  // namespace

Listener::Listener(asio::io_context& io, const ServerOptions& options,
                   std::shared_ptr<const Router> router, asio::thread_pool& handlers)
    : io_(io),
      acceptor_(asio::make_strand(io)),
      options_(options),
      router_(std::move(router)),
      handlers_(handlers) {}

Result<tcp::endpoint> Listener::Bind() {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options_.host, ec);
  if (ec) return Error::Permanent("listen: invalid address \"" + options_.host + "\"");
  const tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) SetCloseOnExec(acceptor_.native_handle());
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error::Permanent("listen: cannot listen on " + options_.host + ":" +
                            std::to_string(options_.port) + ": " + ec.message());
  }
  return acceptor_.local_endpoint();
}

void Listener::Run() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] { self->DoAccept(); });
}

void Listener::Close() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
  });
}

void Listener::DoAccept() {
  // Each connection gets its own strand.
  acceptor_.async_accept(
      asio::make_strand(io_),
      [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
        self->OnAccept(ec, std::move(socket));
      });
}

void Listener::OnAccept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (!ec) SetCloseOnExec(socket.native_handle());
  if (ec) {
    Logger("api")->warn("accept failed: {}", ec.message());
  } else if (connections_->load() >= options_.max_connections) {
    // Over the limit: answer at once and close, instead of letting clients queue unseen.
    static const std::string kBody =
        "{\"error\":{\"code\":\"too_many_connections\",\"message\":\"too many connections\"}}\n";
    static const std::string kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        "Connection: close\r\nContent-Length: " +
        std::to_string(kBody.size()) + "\r\n\r\n" + kBody;
    auto s = std::make_shared<tcp::socket>(std::move(socket));
    asio::async_write(*s, asio::buffer(kBusy), [s](boost::system::error_code, size_t) {
      boost::system::error_code ignored;
      s->close(ignored);
    });
  } else {
    ++*connections_;
    std::make_shared<HttpSession>(std::move(socket), options_, router_, handlers_, connections_)
        ->Run();
  }
  DoAccept();
}

}  // namespace tributary::service::api
