#pragma once
// One attempt of a fetch in flight: the curl easy handle, its options (limits, credentials,
// proxy, TLS, HTTP/2) and the response being received. Owned by the shard that runs it.
// Contract: Prepare() once, then the shard adds easy() to its multi handle; once libcurl reports
// the transfer done (or the shard cancels it) the shard removes the handle from the multi and
// takes the result from Finish() or Cancelled(), and may take the handle for another transfer
// (TakeHandle); the destructor frees it otherwise.
// Thread safety: none; used only on its shard's I/O thread.

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "fetchers/fetcher.hpp"

namespace tributary::fetchers {

// Told of every connection socket libcurl opens or closes for transfers. libcurl says
// CURL_POLL_REMOVE when a transfer ends, also for a kept-alive connection whose socket stays
// open for the next transfer; through this the shard knows which descriptors are connections
// it may keep registered with its event loop between transfers, and lets go of one just before
// libcurl closes it (its number can come back at once, even on another thread).
// Both calls run on the thread driving the multi handle, inside libcurl; they must not call it.
class ConnectionSockets {
 public:
  virtual void Opened(curl_socket_t fd) = 0;
  virtual void Closing(curl_socket_t fd) = 0;

 protected:
  ~ConnectionSockets() = default;
};

class Transfer {
 public:
  // `request` outlives the transfer.
  explicit Transfer(const FetchRequest& request);
  ~Transfer();
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  // Creates the easy handle (or resets `reuse`) and sets every option; an error when libcurl
  // refuses one.
  // `on_sent` (optional) is called on the shard's thread, from inside libcurl, each time a
  // request of this transfer is about to go out (redirects send several; `first` is true for
  // the first): it must not call libcurl.
  // `sockets` (optional) is told of the connection sockets and must outlive every connection
  // of the multi handle the transfer runs on (libcurl closes a connection after its transfer).
  // `reuse` (optional) is the easy handle of a finished transfer (see TakeHandle), reset and
  // used instead of a new one when libcurl allows (Prepare then owns it either way).
  Status Prepare(std::function<void(bool first)> on_sent = {}, ConnectionSockets* sockets = nullptr,
                 CURL* reuse = nullptr);
  CURL* easy() const { return easy_; }
  uint64_t id() const { return id_; }

  // The result of a transfer libcurl finished with `code`.
  FetchResult Finish(CURLcode code);
  // Hands the easy handle over (for another transfer's Prepare), once the transfer is out of
  // its multi handle and finished; the transfer then has none.
  CURL* TakeHandle();
  // The result of a transfer cancelled by Stop().
  FetchResult Cancelled() const;
  // The result of a transfer that never started (Prepare failed).
  FetchResult Failed(Error error) const;

  const FetchRequest& request() const { return *request_; }
  // Whether a request of this transfer went out (a connection failure sends none).
  bool sent() const { return sent_; }

 private:
  static size_t OnWrite(char* data, size_t size, size_t count, void* self) noexcept;
  static size_t OnHeader(char* data, size_t size, size_t count, void* self) noexcept;
  static curl_socket_t OnOpenSocket(void* self, curlsocktype purpose,
                                    curl_sockaddr* address) noexcept;
  static int OnCloseSocket(void* sockets, curl_socket_t fd) noexcept;
  static int OnPrereq(void* self, char* primary_ip, char* local_ip, int primary_port,
                      int local_port) noexcept;

  FetchResult BaseResult() const;

  // Constant after construction.
  const uint64_t id_;
  const FetchRequest* const request_;
  const SystemTime started_;
  const std::chrono::steady_clock::time_point start_;

  CURL* easy_ = nullptr;
  curl_slist* header_list_ = nullptr;
  curl_slist* resolve_list_ = nullptr;
  char error_buffer_[CURL_ERROR_SIZE] = {};

  // The response as it arrives (written by the curl callbacks).
  std::string body_;
  Headers headers_;
  std::string reason_;         // reason phrase of the latest status line
  uint64_t header_bytes_ = 0;  // of the current response
  // Why OnWrite or OnHeader stopped the transfer, if they did.
  std::optional<std::string> abort_reason_;
  std::optional<std::string> refused_address_;  // set when the SSRF guard refused an address
  bool guard_addresses_ = false;                // the SSRF guard judges each connection
  ConnectionSockets* sockets_ = nullptr;        // told of connection sockets, if set
  std::function<void(bool first)> on_sent_;
  bool sent_ = false;
};

}  // namespace tributary::fetchers
