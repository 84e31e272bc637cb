#pragma once
// A shared memory region of one worker process through which the daemon hands it the bodies
// below PoolOptions::shared_body_threshold, instead of writing them through the socket.
//
// Why: a body written through the socket is copied twice by the kernel (into socket buffers it
// allocates, then out into the worker's buffer); a fresh memfd per body costs page faults on
// both sides. The region is made once per worker, its pages stay mapped in both processes, and a
// body costs one memcpy in the daemon; the worker parses it where it lies (bench/README.md, pool).
//
// Contract: the region is a memfd of kBodyRegionSlots slots of slot_size bytes. The daemon maps
// it read-write, then seals it against growing, shrinking and any writable mapping made later
// (F_SEAL_FUTURE_WRITE), so the worker can only map it read-only and cannot truncate it under
// the daemon. The worker receives the descriptor as fd kBodyRegionFd at spawn, with the
// argument `--body-region=SLOT_SIZE`. A request frame with kFrameBodyInRegion names its slot;
// the daemon writes a slot only while no request the worker may still read is in it: the
// running job and the one queued ahead use different slots, and a worker releases its request
// before it replies.
// Thread safety: none; each side uses its region on one thread.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace tributary::merge::pool {

inline constexpr int kBodyRegionFd = 4;
inline constexpr int kBodyRegionSlots = 2;  // the running job and the one queued ahead
inline constexpr std::string_view kBodyRegionArg = "--body-region=";

class BodyRegion {
 public:
  // Daemon side: a new sealed region (close-on-exec) mapped read-write. Slots of at most
  // kMaxSlotSize bytes.
  static constexpr size_t kMaxSlotSize = size_t{1} << 30;
  static Result<std::unique_ptr<BodyRegion>> Create(size_t slot_size);
  // Worker side: takes ownership of `fd` (closed on failure too), checks that it is a memfd
  // sealed as Create seals it and of kBodyRegionSlots * slot_size bytes, and maps it read-only.
  static Result<std::unique_ptr<BodyRegion>> Adopt(int fd, size_t slot_size);
  // Worker side: the region named by `--body-region=` among `args` (nullptr without one).
  static Result<std::unique_ptr<BodyRegion>> FromWorkerArgs(const std::vector<std::string>& args);

  ~BodyRegion();
  BodyRegion(const BodyRegion&) = delete;
  BodyRegion& operator=(const BodyRegion&) = delete;

  int fd() const { return fd_; }
  size_t slot_size() const { return slot_size_; }
  // Daemon side: copies `bytes` into slot `slot`. Requires 0 <= slot < kBodyRegionSlots and
  // bytes.size() <= slot_size() (checked by assert).
  void Write(int slot, std::string_view bytes);
  // The first `size` bytes of slot `slot`, or an error naming what is out of range.
  Result<std::string_view> View(uint32_t slot, size_t size) const;

 private:
  BodyRegion(int fd, char* data, size_t slot_size) : fd_(fd), data_(data), slot_size_(slot_size) {}

  const int fd_;
  char* const data_;  // read-write in the daemon, read-only in the worker
  const size_t slot_size_;
};

}  // namespace tributary::merge::pool
