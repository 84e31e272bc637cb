#pragma once
// One I/O thread of the fetch engine: an io_context, a CURLM driven by it, and the thread that
// runs both. libcurl's multi-socket API tells us which fds to watch (CURLMOPT_SOCKETFUNCTION)
// and when to call it back (CURLMOPT_TIMERFUNCTION); Asio watches them. Nothing is shared with
// other shards.
// Contract: Submit() hands a request over with asio::post and never blocks on I/O; its callback
// runs exactly once on this shard's thread (with "cancelled" once Stop() has begun, at once on
// the caller's thread when the shard is already stopped). Stop() cancels what is in flight,
// cleans the multi handle up while the sockets and the io_context still live, and joins.
// Thread safety: Submit, Stop and InFlight may be called from any thread, except that Stop must
// not be called from a completion callback (it joins the thread running it). Everything else
// runs on the shard's thread.

#include <curl/curl.h>

#include <atomic>
#include <boost/asio.hpp>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "fetchers/fetcher.hpp"
#include "fetchers/transfer.hpp"

namespace tributary::fetchers {

class Fetcher::Shard {
 public:
  explicit Shard(int index);
  ~Shard();  // Stop()s.
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  void Submit(FetchRequest request, Callback done);
  // Stop() is RequestStop() then Join(); the Fetcher asks every shard first, then joins them.
  void RequestStop();
  void Join();
  void Stop();
  size_t InFlight() const { return in_flight_.load(std::memory_order_acquire); }

 private:
  // A socket libcurl asked us to watch. Pending waits hold it through a shared_ptr; once libcurl
  // says CURL_POLL_REMOVE it is `released` and late completions ignore it.
  struct Socket {
    Socket(boost::asio::io_context& io, curl_socket_t fd) : descriptor(io), fd(fd) {}
    boost::asio::posix::stream_descriptor descriptor;
    const curl_socket_t fd;
    int wanted = 0;  // CURL_POLL_IN / CURL_POLL_OUT bits libcurl asked for
    bool read_pending = false;
    bool write_pending = false;
    bool released = false;
  };

  void Run();
  void DoStart(std::unique_ptr<Transfer> transfer);
  void DoShutdown();

  static int OnSocketCallback(CURL* easy, curl_socket_t fd, int what, void* self,
                              void* socket_data) noexcept;
  static int OnTimerCallback(CURLM* multi, long timeout_ms, void* self) noexcept;
  void WatchSocket(curl_socket_t fd, int what);
  void ReleaseSocket(curl_socket_t fd);
  void ArmWaits(const std::shared_ptr<Socket>& socket);
  void OnSocketReady(const std::shared_ptr<Socket>& socket, int direction,
                     boost::system::error_code ec);
  void OnTimer(boost::system::error_code ec);
  void SocketAction(curl_socket_t fd, int events);
  void DrainCompleted();
  void Complete(std::unique_ptr<Transfer> transfer, FetchResult result);

  // Constant after construction. Declared first so that it is destroyed last: every pending
  // handler (they capture `this`) is destroyed with it, never run after the shard is gone.
  const int index_;
  boost::asio::io_context io_{1};

  // Guarded by mu_: once stopped_ is set nothing more is posted to io_.
  std::mutex mu_;
  bool stopped_ = false;

  std::mutex join_mu_;  // serialises concurrent Stop() calls on the join
  std::atomic<size_t> in_flight_{0};

  // Used only on the shard's thread.
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  boost::asio::steady_timer timer_{io_};
  CURLM* multi_ = nullptr;
  std::unordered_map<curl_socket_t, std::shared_ptr<Socket>> sockets_;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers_;

  std::thread thread_;  // started last in the constructor
};

}  // namespace tributary::fetchers
