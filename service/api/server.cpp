#include "service/api/server.hpp"

#include "service/api/listener.hpp"

namespace tributary::service::api {

ServerOptions MakeServerOptions(const config::Config& config) {
  ServerOptions o;
  o.host = config.listen.host;
  o.port = config.listen.port;
  o.max_body = config.api.max_body;
  o.max_header = static_cast<uint32_t>(config.api.max_header);
  o.read_timeout = config.api.read_timeout;
  o.max_connections = config.api.max_connections;
  o.io_threads = config.api.io_threads;
  o.handler_threads = config.api.handler_threads;
  o.heartbeat = config.api.heartbeat;
  return o;
}

ApiServer::ApiServer(ServerOptions options, std::shared_ptr<const Router> router)
    : options_(std::move(options)),
      router_(std::move(router)),
      handlers_(static_cast<size_t>(std::max(1, options_.handler_threads))) {}

ApiServer::~ApiServer() { Stop(); }

Result<boost::asio::ip::tcp::endpoint> ApiServer::Start() {
  listener_ = std::make_shared<Listener>(io_, options_, router_, handlers_);
  auto endpoint = listener_->Bind();
  if (!endpoint) return endpoint.error();
  listener_->Run();
  for (int i = 0; i < std::max(1, options_.io_threads); ++i) {
    threads_.emplace_back([this] { io_.run(); });
  }
  return endpoint;
}

void ApiServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (listener_) listener_->Close();
  handlers_.join();  // running handlers finish; their replies are dropped with the io_context
  io_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace tributary::service::api
