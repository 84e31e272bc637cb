#include "tests/support/origin.hpp"

#include <exception>
#include <iostream>
#include <utility>

#include "tests/support/gzip.hpp"
#include "tests/support/origin_session.hpp"

namespace tributary::test_support {

namespace asio = boost::asio;
using asio::ip::tcp;

TestOrigin::TestOrigin(uint16_t port, std::string address)
    : state_(std::make_shared<OriginState>()), acceptor_(io_), address_(std::move(address)) {
  const tcp::endpoint endpoint(asio::ip::make_address(address_), port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
  DoAccept();
  thread_ = std::thread([this] { Run(); });
}

TestOrigin::~TestOrigin() { Stop(); }

std::string TestOrigin::Url(std::string_view path) const {
  std::string host = address_.find(':') == std::string::npos ? address_ : "[" + address_ + "]";
  return "http://" + host + ":" + std::to_string(port_) + std::string(path);
}

void TestOrigin::Route(std::string path, Response response) {
  state_->Route(std::move(path), std::move(response));
}

void TestOrigin::Route(std::string path, Handler handler) {
  state_->Route(std::move(path), std::move(handler));
}

void TestOrigin::RouteSequence(std::string path, std::vector<Response> responses) {
  state_->RouteSequence(std::move(path), std::move(responses));
}

void TestOrigin::ServeDirectory(std::string url_prefix, std::string dir) {
  state_->ServeDirectory(std::move(url_prefix), std::move(dir));
}

size_t TestOrigin::Hits(const std::string& path) const { return state_->Hits(path); }

bool TestOrigin::WaitForHits(const std::string& path, size_t count,
                             std::chrono::milliseconds timeout) const {
  return state_->WaitForHits(path, count, timeout);
}

std::vector<RecordedRequest> TestOrigin::Requests() const { return state_->Requests(); }

size_t TestOrigin::Connections() const { return state_->Connections(); }

void TestOrigin::Stop() {
  std::lock_guard lock(stop_mu_);
  io_.stop();
  if (thread_.joinable()) thread_.join();
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (const auto& weak : sessions_) {
    if (auto session = weak.lock()) session->Close();
  }
  sessions_.clear();
}

uint16_t TestOrigin::ClosedPort() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  const uint16_t port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

bool TestOrigin::GzipSupported() { return GzipAvailable(); }

void TestOrigin::DoAccept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void TestOrigin::OnAccept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted) return;
  if (!ec) {
    std::erase_if(sessions_, [](const auto& weak) { return weak.expired(); });
    auto session = std::make_shared<OriginSession>(std::move(socket), state_,
                                                   state_->OnConnection(), address_);
    sessions_.push_back(session);
    session->Start();
  }
  DoAccept();
}

void TestOrigin::Run() {
  for (;;) {
    try {
      io_.run();
      return;
    } catch (const std::exception& e) {
      std::cerr << "test origin: " << e.what() << "\n";
    }
  }
}

}  // namespace tributary::test_support
