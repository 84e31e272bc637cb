#pragma once
// A bare TCP client for the API tests: sends exactly the bytes given — a target with `<` as curl
// sends it, a header too large, a request dripped slowly — and reads what comes back, every
// read bounded by a deadline. Thread safety: one thread.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace tributary::testing {

class RawClient {
 public:
  // `base_url` as DaemonProcess::base_url() ("http://127.0.0.1:PORT").
  explicit RawClient(const std::string& base_url) {
    const int port = std::stoi(base_url.substr(base_url.rfind(':') + 1));
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) Close();
  }
  ~RawClient() { Close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // False when the connection is gone (closed or reset by the server).
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      if (fd_ < 0) return false;
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads until `done(received so far)` holds, the peer closes, or `limit` passes. Returns
  // whether `done` held.
  bool ReadUntil(const std::function<bool(const std::string&)>& done,
                 std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done(received_)) {
      if (eof_ || fd_ < 0) return false;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[16384];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        eof_ = true;  // closed, or reset
      } else {
        received_.append(buf, static_cast<size_t>(n));
      }
    }
    return true;
  }
  // Reads until the server closes the connection (or `limit`); true when it closed.
  bool ReadToEnd(std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    ReadUntil([](const std::string&) { return false; }, limit);
    return eof_;
  }
  // Reads one complete response (by Content-Length); false on timeout or close before it.
  bool ReadResponse(std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    return ReadUntil([](const std::string& text) { return Complete(text); }, limit);
  }

  const std::string& received() const { return received_; }
  bool eof() const { return eof_; }
  // The status code of the first response received (0 when none yet).
  int Status() const {
    if (received_.rfind("HTTP/1.1 ", 0) != 0 || received_.size() < 12) return 0;
    return std::stoi(received_.substr(9, 3));
  }
  std::string Header() const { return received_.substr(0, received_.find("\r\n\r\n")); }
  std::string Body() const {
    const auto at = received_.find("\r\n\r\n");
    return at == std::string::npos ? std::string() : received_.substr(at + 4);
  }
  nlohmann::json Json() const { return nlohmann::json::parse(Body(), nullptr, false); }

 private:
  static bool Complete(const std::string& text) {
    const auto end = text.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    std::string header = text.substr(0, end);
    for (auto& c : header) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = header.find("\r\ncontent-length:");
    if (at == std::string::npos) return true;
    const size_t length = std::stoul(header.substr(at + 17));
    return text.size() >= end + 4 + length;
  }

  int fd_ = -1;
  bool eof_ = false;
  std::string received_;
};

}  // namespace tributary::testing
