#include "merge/pool/body_region.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cassert>
#include <charconv>
#include <cstring>

#include "merge/pool/sealed_memfd.hpp"

namespace tributary::merge::pool {
namespace {

constexpr int kRequiredSeals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE;
constexpr const char* kWhat = "body region";

Result<std::unique_ptr<BodyRegion>> Fail(int fd, std::string message) {
  ::close(fd);
  return Error::Permanent(std::move(message));
}

}  // namespace

Result<std::unique_ptr<BodyRegion>> BodyRegion::Create(size_t slot_size) {
  if (slot_size == 0 || slot_size > kMaxSlotSize) {
    return Error::Permanent("body region: slots of " + std::to_string(slot_size) + " bytes");
  }
  const size_t size = slot_size * kBodyRegionSlots;
  const int fd = ::memfd_create("tributary-bodies", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return Error::Retryable(ErrnoText("memfd_create"));
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) return Fail(fd, ErrnoText("ftruncate"));
  // Mapped writable before F_SEAL_FUTURE_WRITE: the seal refuses writable mappings made later
  // (the worker's), not this one.
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return Fail(fd, ErrnoText("mmap of a body region"));
  if (::fcntl(fd, F_ADD_SEALS, kRequiredSeals | F_SEAL_SEAL) != 0) {
    const auto error = ErrnoText("sealing a body region");
    ::munmap(p, size);
    return Fail(fd, error);
  }
  return std::unique_ptr<BodyRegion>(new BodyRegion(fd, static_cast<char*>(p), slot_size));
}

Result<std::unique_ptr<BodyRegion>> BodyRegion::Adopt(int fd, size_t slot_size) {
  if (fd < 0) return Error::Permanent("body region: no file descriptor");
  // Bounded, so that slots * slot_size cannot wrap around and match a smaller file.
  if (slot_size == 0 || slot_size > kMaxSlotSize) {
    return Fail(fd, "body region: slots of " + std::to_string(slot_size) + " bytes");
  }
  const size_t size = slot_size * kBodyRegionSlots;
  auto actual = SealedMemfdSize(fd, kRequiredSeals, kWhat);
  if (!actual) return Fail(fd, actual.error().message);
  if (*actual != size) {
    return Fail(fd, "body region: the descriptor holds " + std::to_string(*actual) +
                        " bytes instead of " + std::to_string(size));
  }
  auto data = MapReadOnly(fd, size, kWhat);
  if (!data) return Fail(fd, data.error().message);
  return std::unique_ptr<BodyRegion>(
      new BodyRegion(fd, const_cast<char*>(*data), slot_size));
}

Result<std::unique_ptr<BodyRegion>> BodyRegion::FromWorkerArgs(
    const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (!std::string_view(arg).starts_with(kBodyRegionArg)) continue;
    const char* first = arg.data() + kBodyRegionArg.size();
    const char* last = arg.data() + arg.size();
    size_t slot_size = 0;
    const auto [end, ec] = std::from_chars(first, last, slot_size);
    if (ec != std::errc() || end != last || slot_size == 0) {
      return Error::Permanent("worker: invalid argument \"" + arg + "\"");
    }
    return Adopt(kBodyRegionFd, slot_size);
  }
  return std::unique_ptr<BodyRegion>();
}

BodyRegion::~BodyRegion() {
  ::munmap(data_, slot_size_ * kBodyRegionSlots);
  ::close(fd_);
}

void BodyRegion::Write(int slot, std::string_view bytes) {
  assert(slot >= 0 && slot < kBodyRegionSlots && bytes.size() <= slot_size_);
  std::memcpy(data_ + static_cast<size_t>(slot) * slot_size_, bytes.data(), bytes.size());
}

Result<std::string_view> BodyRegion::View(uint32_t slot, size_t size) const {
  if (slot >= static_cast<uint32_t>(kBodyRegionSlots)) {
    return Error::Permanent("body region slot " + std::to_string(slot) + " does not exist");
  }
  if (size > slot_size_) {
    return Error::Permanent("a body of " + std::to_string(size) +
                            " bytes does not fit a region slot of " + std::to_string(slot_size_));
  }
  return std::string_view(data_ + static_cast<size_t>(slot) * slot_size_, size);
}

}  // namespace tributary::merge::pool
