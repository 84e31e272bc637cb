#pragma once
// A document body held in a sealed memfd, so a large body crosses from the daemon to a worker
// as one file descriptor (SCM_RIGHTS) instead of being copied through the socket.
//
// Contract: the memfd is sealed against writing, growing and shrinking (and against new seals)
// before it is ever passed on. The receiver (Adopt) refuses a descriptor without those seals
// or whose size differs from the frame's header, so a sender can neither change the bytes
// under the reader nor truncate the file and make the reader's mapping fault (SIGBUS).
// The bytes are mapped read-only for the object's lifetime.
// Thread safety: immutable after construction; view() may be read from any thread.

#include <cstddef>
#include <memory>
#include <string_view>

#include "common/result.hpp"

namespace tributary::merge::pool {

class SharedBody {
 public:
  // Copies `bytes` into a new sealed memfd (close-on-exec) and maps it read-only.
  static Result<std::shared_ptr<const SharedBody>> Create(std::string_view bytes);
  // Takes ownership of `fd` (closed on failure too), checks that it is a sealed memfd of
  // exactly `expected_size` bytes, and maps it read-only.
  static Result<std::shared_ptr<const SharedBody>> Adopt(int fd, size_t expected_size);

  ~SharedBody();
  SharedBody(const SharedBody&) = delete;
  SharedBody& operator=(const SharedBody&) = delete;

  std::string_view view() const { return {data_, size_}; }
  size_t size() const { return size_; }
  int fd() const { return fd_; }

 private:
  SharedBody(int fd, const char* data, size_t size) : fd_(fd), data_(data), size_(size) {}

  // Constant after construction.
  const int fd_;
  const char* const data_;  // nullptr when size_ == 0 (an empty file cannot be mapped)
  const size_t size_;
};

}  // namespace tributary::merge::pool
