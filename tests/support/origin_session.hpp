#pragma once
// One client connection to the test origin: reads requests (keep-alive), records each with the
// shared OriginState, waits out the route's delay on a timer, then writes the answer as raw
// bytes in pieces (so that faults can be injected: dripping, resets, short bodies).
// Ownership: the session owns itself through its pending handlers (Beast's pattern); it ends
// when the client closes, on an error, or when the origin's io_context is stopped.
// Thread safety: used only on the origin's I/O thread.

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "tests/support/origin_state.hpp"

namespace tributary::test_support {

class OriginSession : public std::enable_shared_from_this<OriginSession> {
 public:
  OriginSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<OriginState> state,
                uint64_t connection, std::string origin_address);
  void Start();
  // Drops the connection. Only while the origin's I/O thread is not running (after Stop()).
  void Close();

 private:
  struct Piece {
    std::string bytes;
    std::chrono::milliseconds delay_before{0};
  };
  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void OnDelay(boost::beast::error_code ec);
  void Plan();
  void DoWritePiece();
  void OnPieceTimer(boost::beast::error_code ec);
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  void Finish();
  void DoClose();
  void Reset();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  boost::asio::steady_timer timer_;
  const std::shared_ptr<OriginState> state_;
  const uint64_t connection_;
  const std::string origin_address_;

  // The request being answered.
  Response reply_;
  size_t index_ = 0;  // in the state's request log
  bool keep_alive_ = true;
  bool head_ = false;
  std::deque<Piece> pieces_;
  enum class End { kKeepAlive, kClose, kReset } end_ = End::kKeepAlive;
};

}  // namespace tributary::test_support
