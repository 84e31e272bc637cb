#include "merge/pool/sealed_memfd.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cstring>

namespace tributary::merge::pool {

std::string ErrnoText(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

Result<size_t> SealedMemfdSize(int fd, int required_seals, const char* what) {
  const int seals = ::fcntl(fd, F_GET_SEALS);
  if (seals < 0 || (seals & required_seals) != required_seals) {
    return Error::Permanent(std::string(what) + ": the descriptor is not a sealed memfd");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return Error::Permanent(ErrnoText((std::string(what) + ": fstat").c_str()));
  }
  return static_cast<size_t>(st.st_size);
}

Result<const char*> MapReadOnly(int fd, size_t size, const char* what) {
  if (size == 0) return static_cast<const char*>(nullptr);
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return Error::Retryable(ErrnoText((std::string(what) + ": mmap").c_str()));
  return static_cast<const char*>(p);
}

}  // namespace tributary::merge::pool
