#pragma once
// One client connection to the test origin: reads requests (keep-alive), records each with the
// shared OriginState, waits out the route's delay on a timer, writes the answer.
// Ownership: the session owns itself through its pending handlers (Beast's pattern); it ends
// when the client closes, on an error, or when the origin's io_context is stopped.
// Thread safety: used only on the origin's I/O thread.

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <memory>
#include <optional>

#include "tests/support/origin_state.hpp"

namespace tributary::test_support {

class OriginSession : public std::enable_shared_from_this<OriginSession> {
 public:
  OriginSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<OriginState> state,
                uint64_t connection);
  void Start();
  // Drops the connection. Only while the origin's I/O thread is not running (after Stop()).
  void Close();

 private:
  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void OnDelay(boost::beast::error_code ec);
  void DoWrite();
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  void DoClose();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  boost::beast::http::response<boost::beast::http::string_body> response_;
  boost::asio::steady_timer timer_;
  const std::shared_ptr<OriginState> state_;
  const uint64_t connection_;

  // The request being answered.
  Response reply_;
  bool keep_alive_ = true;
  bool head_ = false;
};

}  // namespace tributary::test_support
