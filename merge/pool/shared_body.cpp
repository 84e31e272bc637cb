#include "merge/pool/shared_body.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace tributary::merge::pool {
namespace {

constexpr int kRequiredSeals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

Result<const char*> MapReadOnly(int fd, size_t size) {
  if (size == 0) return static_cast<const char*>(nullptr);
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return Error::Retryable(Errno("mmap of a shared body"));
  return static_cast<const char*>(p);
}

}  // namespace

Result<std::shared_ptr<const SharedBody>> SharedBody::Create(std::string_view bytes) {
  const int fd = ::memfd_create("tributary-body", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return Error::Retryable(Errno("memfd_create"));
  // write(), not a writable mapping: F_SEAL_WRITE is refused while a shared writable mapping
  // exists.
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      const auto error = Errno("write to a shared body");
      ::close(fd);
      return Error::Retryable(error);
    }
    done += static_cast<size_t>(w);
  }
  if (::fcntl(fd, F_ADD_SEALS, kRequiredSeals | F_SEAL_SEAL) != 0) {
    const auto error = Errno("sealing a shared body");
    ::close(fd);
    return Error::Retryable(error);
  }
  auto data = MapReadOnly(fd, bytes.size());
  if (!data) {
    ::close(fd);
    return data.error();
  }
  return std::shared_ptr<const SharedBody>(new SharedBody(fd, *data, bytes.size()));
}

Result<std::shared_ptr<const SharedBody>> SharedBody::Adopt(int fd, size_t expected_size) {
  if (fd < 0) return Error::Permanent("shared body: no file descriptor");
  const int seals = ::fcntl(fd, F_GET_SEALS);
  if (seals < 0 || (seals & kRequiredSeals) != kRequiredSeals) {
    ::close(fd);
    return Error::Permanent("shared body: the descriptor is not a sealed memfd");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const auto error = Errno("shared body: fstat");
    ::close(fd);
    return Error::Permanent(error);
  }
  if (static_cast<uint64_t>(st.st_size) != expected_size) {
    ::close(fd);
    return Error::Permanent("shared body: the descriptor holds " + std::to_string(st.st_size) +
                            " bytes but the frame announces " + std::to_string(expected_size));
  }
  auto data = MapReadOnly(fd, expected_size);
  if (!data) {
    ::close(fd);
    return data.error();
  }
  return std::shared_ptr<const SharedBody>(new SharedBody(fd, *data, expected_size));
}

SharedBody::~SharedBody() {
  if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  ::close(fd_);
}

}  // namespace tributary::merge::pool
