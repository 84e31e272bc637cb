#pragma once
// A connection taken over from an HttpSession to send Server-Sent Events: writes the response
// header, then whatever the EventStream yields, with a comment line as heartbeat while idle.
// It watches the socket for the client closing (SSE clients send nothing after the request),
// and gives up a write that takes longer than the write timeout (a client that stopped reading).
// Owned by its pending handlers, like HttpSession.
// Thread safety: runs on the connection's strand; Pull runs on the handler pool.

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "service/api/event_stream.hpp"

namespace tributary::service::api {

class SseSession : public std::enable_shared_from_this<SseSession> {
 public:
  SseSession(boost::beast::tcp_stream&& stream, std::shared_ptr<EventStream> events,
             boost::asio::thread_pool& handlers, std::chrono::milliseconds heartbeat,
             std::chrono::milliseconds write_timeout,
             std::shared_ptr<std::atomic<size_t>> connections);
  ~SseSession();
  // `header`: the serialized response header.
  void Run(std::string header);

 private:
  void DoPull();
  void OnPulled(EventStream::State state, std::string data);
  void DoWrite(std::string data);
  void OnWrite(boost::beast::error_code ec);
  void DoHeartbeat();
  void DoWatchClose();
  void Shutdown();

  boost::beast::tcp_stream stream_;
  std::shared_ptr<EventStream> events_;
  boost::asio::thread_pool& handlers_;
  const std::chrono::milliseconds heartbeat_;
  const std::chrono::milliseconds write_timeout_;
  std::shared_ptr<std::atomic<size_t>> connections_;
  boost::asio::steady_timer heartbeat_timer_;

  // On the strand only.
  std::string writing_;  // the bytes of the write in flight
  std::string pending_;  // bytes to write after it
  bool pull_in_flight_ = false;
  bool pull_again_ = false;
  bool pull_after_write_ = false;
  bool end_after_write_ = false;
  bool closed_ = false;
  char probe_[1];
};

}  // namespace tributary::service::api
