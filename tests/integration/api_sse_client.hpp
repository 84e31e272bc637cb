#pragma once
// A bare Server-Sent Events client for the API tests: one blocking TCP connection that sends a
// GET with the given headers and reads the stream as it arrives, so a test controls exactly
// when (and whether) it reads — which curl does not allow. Every read is bounded by a deadline.
// Thread safety: one thread.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tributary::testing {

struct SseEvent {
  std::string id;     // empty when the event had no id: line
  std::string event;  // "message" when unnamed
  std::string data;
};

class SseClient {
 public:
  // `base_url` as DaemonProcess::base_url() ("http://127.0.0.1:PORT"). A positive
  // `receive_buffer` shrinks the socket's receive buffer before connecting (a slow client).
  SseClient(const std::string& base_url, const std::string& target,
            const std::vector<std::string>& headers = {}, int receive_buffer = 0) {
    const auto colon = base_url.rfind(':');
    const int port = std::stoi(base_url.substr(colon + 1));
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    request += "Accept: text/event-stream\r\n";
    for (const auto& h : headers) request += h + "\r\n";
    request += "\r\n";
    ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL);
  }
  ~SseClient() { Close(); }
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
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
        eof_ = true;
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
  // Reads until at least `count` events (not comments) arrived.
  bool ReadEvents(size_t count, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    return ReadUntil([&](const std::string&) { return Events().size() >= count; }, limit);
  }

  const std::string& received() const { return received_; }
  std::string Header() const { return received_.substr(0, received_.find("\r\n\r\n")); }
  bool eof() const { return eof_; }

  // The complete events received so far (a trailing partial event is left out).
  std::vector<SseEvent> Events() const {
    std::vector<SseEvent> out;
    size_t pos = received_.find("\r\n\r\n");
    if (pos == std::string::npos) return out;
    pos += 4;
    while (true) {
      const size_t end = received_.find("\n\n", pos);
      if (end == std::string::npos) break;
      SseEvent e;
      bool any = false;
      size_t line_start = pos;
      while (line_start < end + 1) {
        size_t line_end = received_.find('\n', line_start);
        const std::string line = received_.substr(line_start, line_end - line_start);
        line_start = line_end + 1;
        if (line.empty() || line[0] == ':') continue;  // comments (heartbeats)
        const size_t colon = line.find(':');
        const std::string field = line.substr(0, colon);
        std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        any = true;
        if (field == "id") e.id = value;
        if (field == "event") e.event = value;
        if (field == "data") e.data += (e.data.empty() ? "" : "\n") + value;
      }
      if (any) {
        if (e.event.empty()) e.event = "message";
        out.push_back(std::move(e));
      }
      pos = end + 2;
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool eof_ = false;
  std::string received_;
};

}  // namespace tributary::testing
