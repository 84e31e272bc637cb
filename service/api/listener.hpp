#pragma once
// Accepts connections and starts an HttpSession for each; refuses connections beyond
// max_connections with an immediate 503. Owned by the ApiServer; lives on the API io_context.

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>

#include "common/result.hpp"
#include "service/api/router.hpp"
#include "service/api/server.hpp"

namespace tributary::service::api {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(boost::asio::io_context& io, const ServerOptions& options,
           std::shared_ptr<const Router> router, boost::asio::thread_pool& handlers);
  Result<boost::asio::ip::tcp::endpoint> Bind();
  void Run();
  void Close();

 private:
  void DoAccept();
  void OnAccept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  const ServerOptions& options_;
  std::shared_ptr<const Router> router_;
  boost::asio::thread_pool& handlers_;
  std::shared_ptr<std::atomic<size_t>> connections_ = std::make_shared<std::atomic<size_t>>(0);
};

}  // namespace tributary::service::api
