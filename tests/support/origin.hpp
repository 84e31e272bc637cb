#pragma once
// A loopback HTTP/1.1 origin for tests: Boost.Beast on its own thread, bound to 127.0.0.1 on an
// ephemeral port (or a given address and port, e.g. 127.0.0.5 to be another "host"). Answers
// canned routes, sequences and handlers, serves directories, records every request with the
// times it arrived and was answered, counts connections; keep-alive is supported. Faults on
// demand: delays, dripping headers or bodies, resets mid-body, short bodies, dropped
// connections, gzip, ETag/Last-Modified validation (see Response).
//
//   TestOrigin origin;
//   origin.Route("/feed", {200, {{"Content-Type", "application/rss+xml"}}, body});
//   origin.Route("/slow", {.status = 200, .body = "late", .delay = std::chrono::seconds(5)});
//   fetch(origin.Url("/feed")); ... EXPECT_EQ(origin.Hits("/feed"), 1u);
//
// Thread safety: every method may be called from any thread; route changes apply to requests
// read afterwards. The destructor stops the server (pending delayed answers are dropped).

#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/support/origin_state.hpp"

namespace tributary::test_support {

class OriginSession;

class TestOrigin {
 public:
  // Binds and listens before returning (throws when it cannot), then serves on its own thread.
  explicit TestOrigin(uint16_t port = 0, std::string address = "127.0.0.1");
  ~TestOrigin();
  TestOrigin(const TestOrigin&) = delete;
  TestOrigin& operator=(const TestOrigin&) = delete;

  uint16_t port() const { return port_; }
  const std::string& address() const { return address_; }
  // "http://127.0.0.1:PORT" + path (path starts with '/').
  std::string Url(std::string_view path) const;

  // Answers requests whose target (path and query) or path is exactly `path`.
  void Route(std::string path, Response response);
  void Route(std::string path, Handler handler);
  // The n-th request gets responses[min(n, size - 1)] (e.g. two 503s, then 200s).
  void RouteSequence(std::string path, std::vector<Response> responses);
  // Serves files under `dir` for paths starting with `url_prefix`, Content-Type by extension,
  // index.html for directories. Routes take precedence.
  void ServeDirectory(std::string url_prefix, std::string dir);

  // Requests received for `path` (the query is not part of it).
  size_t Hits(const std::string& path) const;
  // Blocks until Hits(path) >= count; false on timeout.
  bool WaitForHits(const std::string& path, size_t count,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  std::vector<RecordedRequest> Requests() const;
  // TCP connections accepted so far.
  size_t Connections() const;

  // Stops serving and joins the thread; afterwards connecting is refused and open connections
  // are closed (an outage, for tests). Idempotent.
  void Stop();

  // A loopback port that was just bound and closed again: connecting to it is refused.
  static uint16_t ClosedPort();
  // Whether Response::gzip takes effect in this build.
  static bool GzipSupported();

 private:
  void DoAccept();
  void OnAccept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  void Run();

  // Declared first so that it is destroyed last, with every handler that captures `this`.
  boost::asio::io_context io_{1};
  const std::shared_ptr<OriginState> state_;
  boost::asio::ip::tcp::acceptor acceptor_;
  const std::string address_;
  uint16_t port_ = 0;  // constant after construction
  // Used on the I/O thread while it runs, then by Stop() once it is joined.
  std::vector<std::weak_ptr<OriginSession>> sessions_;
  std::mutex stop_mu_;
  std::thread thread_;
};

}  // namespace tributary::test_support
