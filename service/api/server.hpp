#pragma once
// The HTTP API server (Boost.Beast): a listener accepting connections and one HttpSession per
// connection, on its own io_context and threads; handlers run on a separate small thread pool
// because they may block on storage reads.
// Thread safety: Start and Stop from one controlling thread.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"
#include "service/api/router.hpp"

namespace tributary::service::api {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: ephemeral
  uint64_t max_body = 1 << 20;
  uint32_t max_header = 16 << 10;
  std::chrono::milliseconds read_timeout{30000};  // per request, against slow clients
  size_t max_connections = 1024;
  int io_threads = 1;
  int handler_threads = 2;
  std::chrono::milliseconds heartbeat{15000};  // SSE comment while idle
};

// The server's options from the configuration (listen address and api.* limits).
ServerOptions MakeServerOptions(const config::Config& config);

class Listener;

class ApiServer {
 public:
  ApiServer(ServerOptions options, std::shared_ptr<const Router> router);
  ~ApiServer();  // Stops.
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds and starts serving; returns the bound endpoint (with the real port when 0 was asked).
  Result<boost::asio::ip::tcp::endpoint> Start();
  // The pool handlers run on (also for work that belongs with them, e.g. the change feed).
  boost::asio::thread_pool& handler_pool() { return handlers_; }
  // Stops accepting, lets running handlers finish, closes connections, joins threads.
  void Stop();

 private:
  const ServerOptions options_;
  std::shared_ptr<const Router> router_;
  boost::asio::io_context io_;
  boost::asio::thread_pool handlers_;
  std::shared_ptr<Listener> listener_;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
};

}  // namespace tributary::service::api
