#pragma once
// One fetch in flight: the curl easy handle, its options, the response being received, and the
// caller's completion callback. Owned by the shard that runs it.
// Contract: Prepare() once, then the shard adds easy() to its multi handle; once libcurl reports
// the transfer done (or the shard cancels it) the shard removes the handle from the multi and
// calls Complete() exactly once with Finish() or Cancelled(). The destructor frees the handle.
// Thread safety: none; used only on its shard's I/O thread.

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "fetchers/fetcher.hpp"

namespace tributary::fetchers {

class Transfer {
 public:
  Transfer(FetchRequest request, Fetcher::Callback done);
  ~Transfer();
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  // Creates the easy handle and sets every option; an error when libcurl refuses one.
  Status Prepare();
  CURL* easy() const { return easy_; }
  uint64_t id() const { return id_; }

  // The result of a transfer libcurl finished with `code`.
  FetchResult Finish(CURLcode code);
  // The result of a transfer cancelled by Stop().
  FetchResult Cancelled() const;
  // The result of a transfer that never started (Prepare failed).
  FetchResult Failed(Error error) const;

  // Logs the completion line and runs the callback, catching and logging what it throws.
  void Complete(FetchResult result);

 private:
  static size_t OnWrite(char* data, size_t size, size_t count, void* self) noexcept;
  static size_t OnHeader(char* data, size_t size, size_t count, void* self) noexcept;
  static curl_socket_t OnOpenSocket(void* self, curlsocktype purpose,
                                    curl_sockaddr* address) noexcept;
  static int OnPrereq(void* self, char* primary_ip, char* local_ip, int primary_port,
                      int local_port) noexcept;

  FetchResult BaseResult() const;

  // Constant after construction.
  const uint64_t id_;
  const FetchRequest request_;
  Fetcher::Callback done_;
  const SystemTime started_;
  const std::chrono::steady_clock::time_point start_;

  CURL* easy_ = nullptr;
  curl_slist* header_list_ = nullptr;
  char error_buffer_[CURL_ERROR_SIZE] = {};

  // The response as it arrives (written by the curl callbacks).
  std::string body_;
  Headers headers_;
  std::string reason_;  // reason phrase of the latest status line
  bool body_too_large_ = false;
  std::optional<std::string> refused_address_;  // set when the SSRF guard refused an address
};

}  // namespace tributary::fetchers
