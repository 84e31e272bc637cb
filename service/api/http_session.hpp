#pragma once
// One HTTP/1.1 connection: read a request (with header/body limits and a read deadline), answer
// it at once when the router can without blocking, else run the router on the handler pool;
// write the response, repeat while keep-alive. The session owns itself through its pending
// handlers (shared_from_this), as in Beast's examples.

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <memory>
#include <optional>

#include "service/api/router.hpp"
#include "service/api/server.hpp"

namespace tributary::service::api {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket&& socket, const ServerOptions& options,
              std::shared_ptr<const Router> router, boost::asio::thread_pool& handlers,
              std::shared_ptr<std::atomic<size_t>> connections);
  ~HttpSession();
  void Run();

 private:
  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void DoWrite(Response response);
  void DoStream(Outcome outcome);
  void OnWrite(bool keep_alive, boost::beast::error_code ec, size_t bytes);
  void DoClose();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Response> response_;  // kept alive until written
  const ServerOptions& options_;
  std::shared_ptr<const Router> router_;
  boost::asio::thread_pool& handlers_;
  std::shared_ptr<std::atomic<size_t>> connections_;
};

}  // namespace tributary::service::api
