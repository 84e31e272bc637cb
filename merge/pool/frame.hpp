#pragma once
// The framing between the daemon and its worker processes: length-prefixed, versioned frames
// over a Unix stream socket. A frame is a fixed header, a JSON "meta" part (the job or its
// reply) and an opaque "body" part (the document bytes), so documents are never re-encoded as
// JSON.
//
//   offset size  field
//   0      4     magic "TRBW"
//   4      2     protocol version (kFrameVersion)
//   6      2     type (FrameType)
//   8      8     request id (echoed by the reply)
//   16     4     meta length
//   20     4     body length
//   24     4     flags (kFrameBodyInFd or kFrameBodyInRegion; every other bit must be zero)
//   28     4     with kFrameBodyInRegion the body's slot in the region, else zero
//   32     ...   meta bytes, then body bytes (unless the body travels as a descriptor or lies
//                in the region)
// All integers little-endian. Lengths are checked against a cap before anything is allocated.
//
// With kFrameBodyInFd the body is not in the stream: it is a sealed memfd (SharedBody) sent with
// SCM_RIGHTS on the frame's first bytes, and body length is its exact size. A large document
// thus costs one copy into the memfd instead of two through the socket, and the worker reads it
// through a read-only mapping.
//
// With kFrameBodyInRegion the body is neither in the stream nor passed: it lies in a slot of the
// worker's BodyRegion (body_region.hpp), a shared mapping both sides keep, and body length is its
// size. Only requests use it.
// Thread safety: pure functions; the blocking helpers use only their arguments.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "merge/pool/body_region.hpp"
#include "merge/pool/shared_body.hpp"

namespace tributary::merge::pool {

inline constexpr uint32_t kFrameMagic = 0x57425254;  // "TRBW" read little-endian
// 4: extract replies carry their records in the body (merge/worker/jobs.hpp).
// 5: merge_keys results no longer carry the fields after apart from the record.
// 6: merge_keys results carry the record's whole text and its parts' lengths.
// 7: merge_keys items carry the key's records before the update; results carry no provenance
//    hash, and no field diff for an added record.
// 8: packed texts' lengths and integers are binary (common/packed_text.hpp).
inline constexpr uint16_t kFrameVersion = 8;
inline constexpr size_t kFrameHeaderSize = 32;
inline constexpr uint64_t kDefaultMaxFrame = 256ull << 20;
inline constexpr uint32_t kFrameBodyInFd = 1u << 0;
inline constexpr uint32_t kFrameBodyInRegion = 1u << 1;

enum class FrameType : uint16_t { kRequest = 1, kReply = 2 };

struct FrameHeader {
  FrameType type = FrameType::kRequest;
  uint64_t request_id = 0;
  uint32_t meta_length = 0;
  uint32_t body_length = 0;
  uint32_t flags = 0;
  uint32_t region_slot = 0;  // with kFrameBodyInRegion
  bool body_in_fd() const { return (flags & kFrameBodyInFd) != 0; }
  bool body_in_region() const { return (flags & kFrameBodyInRegion) != 0; }
  // Everything the frame carries (the cap applies to this).
  uint64_t PayloadSize() const { return uint64_t{meta_length} + body_length; }
  // What follows the header in the stream itself.
  uint64_t StreamPayloadSize() const {
    return meta_length + (body_in_fd() || body_in_region() ? 0 : uint64_t{body_length});
  }
};

struct Frame {
  FrameType type = FrameType::kRequest;
  uint64_t request_id = 0;
  std::string meta;  // JSON text
  std::string body;  // the body in the stream (empty when shared_body is set)
  // The body as a sealed memfd; when set the frame is sent with kFrameBodyInFd.
  std::shared_ptr<const SharedBody> shared_body;
  // The body in slot *region_slot of the BodyRegion; when set the frame is sent with
  // kFrameBodyInRegion, region_body is the body (a view into the region) and `body` is empty.
  // Requests only.
  std::optional<uint32_t> region_slot;
  std::string_view region_body;

  std::string_view Body() const {
    return shared_body ? shared_body->view() : region_slot ? region_body : std::string_view(body);
  }
};

// Serialises what goes into the stream: the header and meta, plus the body unless it is shared
// (then the caller passes shared_body->fd() with the first bytes) or in the region. Fails when a
// part exceeds 4 GiB - 1, or when a frame has more than one body.
Result<std::string> EncodeFrame(const Frame& frame);
std::string EncodeHeader(const FrameHeader& header);

// Validates and decodes a header of exactly kFrameHeaderSize bytes: magic, version, type, flags
// (at most one body flag, a slot only with kFrameBodyInRegion, which replies may not have), and
// meta+body <= max_frame (so a corrupt or hostile length never causes a huge allocation).
Result<FrameHeader> DecodeHeader(std::string_view bytes, uint64_t max_frame);

// The socket calls the blocking helpers make, so tests can fail the Nth one or return short
// counts (LevelDB's ErrorEnv style). Both return bytes transferred (0 = end of stream for
// Receive) or -1 with errno set.
class FdIo {
 public:
  virtual ~FdIo() = default;
  // recvmsg: descriptors passed with the bytes are appended to *fds (close-on-exec).
  virtual ssize_t Receive(int fd, char* data, size_t n, std::vector<int>* fds) = 0;
  // sendmsg: `pass_fd` (when >= 0) travels with these bytes.
  virtual ssize_t Send(int fd, const char* data, size_t n, int pass_fd) = 0;
};
FdIo& SystemFdIo();

// One sendmsg on a socket; `pass_fd` (when >= 0) is attached with SCM_RIGHTS. MSG_NOSIGNAL
// always; MSG_DONTWAIT when `nonblocking`. Returns bytes sent or -1 with errno set.
ssize_t SendWithFd(int socket, const char* data, size_t n, int pass_fd, bool nonblocking);

// Blocking helpers for the worker side (plain fds, no Asio). ReadFrame returns a kRetryable
// error "end of stream" on orderly EOF before a header, kPermanent on corrupt frames (including
// a missing, unexpected, unsealed or wrongly sized body descriptor, and a body in a region slot
// that `region` does not have or that does not fit it). Received descriptors are never leaked,
// whatever fails. A frame's region_body is valid while `region` lives and the sender leaves the
// slot alone (until the reply, see body_region.hpp).
Result<Frame> ReadFrame(int fd, uint64_t max_frame, FdIo& io = SystemFdIo(),
                        const BodyRegion* region = nullptr);
Status WriteFrame(int fd, const Frame& frame, FdIo& io = SystemFdIo());

}  // namespace tributary::merge::pool
