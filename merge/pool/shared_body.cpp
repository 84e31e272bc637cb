#include "merge/pool/shared_body.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "merge/pool/sealed_memfd.hpp"

namespace tributary::merge::pool {
namespace {

constexpr int kRequiredSeals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
constexpr const char* kWhat = "shared body";

}  // namespace

Result<std::shared_ptr<const SharedBody>> SharedBody::Create(std::string_view bytes) {
  const int fd = ::memfd_create("tributary-body", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return Error::Retryable(ErrnoText("memfd_create"));
  // write(), not a writable mapping: F_SEAL_WRITE is refused while a shared writable mapping
  // exists.
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      const auto error = ErrnoText("write to a shared body");
      ::close(fd);
      return Error::Retryable(error);
    }
    done += static_cast<size_t>(w);
  }
  if (::fcntl(fd, F_ADD_SEALS, kRequiredSeals | F_SEAL_SEAL) != 0) {
    const auto error = ErrnoText("sealing a shared body");
    ::close(fd);
    return Error::Retryable(error);
  }
  auto data = MapReadOnly(fd, bytes.size(), kWhat);
  if (!data) {
    ::close(fd);
    return data.error();
  }
  return std::shared_ptr<const SharedBody>(new SharedBody(fd, *data, bytes.size()));
}

Result<std::shared_ptr<const SharedBody>> SharedBody::Adopt(int fd, size_t expected_size) {
  if (fd < 0) return Error::Permanent("shared body: no file descriptor");
  const auto size = SealedMemfdSize(fd, kRequiredSeals, kWhat);
  if (!size) {
    ::close(fd);
    return size.error();
  }
  if (*size != expected_size) {
    ::close(fd);
    return Error::Permanent("shared body: the descriptor holds " + std::to_string(*size) +
                            " bytes but the frame announces " + std::to_string(expected_size));
  }
  auto data = MapReadOnly(fd, expected_size, kWhat);
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
