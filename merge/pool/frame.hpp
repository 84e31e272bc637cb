#pragma once
// The framing between the daemon and its worker processes: length-prefixed, versioned frames
// over a stream socket. A frame is a fixed header, a JSON "meta" part (the job or its reply) and
// an opaque "body" part (the document bytes), so documents are never re-encoded as JSON.
//
//   offset size  field
//   0      4     magic "TRBW"
//   4      2     protocol version (kFrameVersion)
//   6      2     type (FrameType)
//   8      8     request id (echoed by the reply)
//   16     4     meta length
//   20     4     body length
//   24     ...   meta bytes, then body bytes
// All integers little-endian. Lengths are checked against a cap before anything is allocated.
// Thread safety: pure functions.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace tributary::merge::pool {

inline constexpr uint32_t kFrameMagic = 0x57425254;  // "TRBW" read little-endian
inline constexpr uint16_t kFrameVersion = 1;
inline constexpr size_t kFrameHeaderSize = 24;
inline constexpr uint64_t kDefaultMaxFrame = 256ull << 20;

enum class FrameType : uint16_t { kRequest = 1, kReply = 2 };

struct FrameHeader {
  FrameType type = FrameType::kRequest;
  uint64_t request_id = 0;
  uint32_t meta_length = 0;
  uint32_t body_length = 0;
  uint64_t PayloadSize() const { return uint64_t{meta_length} + body_length; }
};

struct Frame {
  FrameType type = FrameType::kRequest;
  uint64_t request_id = 0;
  std::string meta;  // JSON text
  std::string body;
};

// Serialises a frame (header + meta + body). Fails when a part exceeds 4 GiB - 1.
Result<std::string> EncodeFrame(const Frame& frame);
std::string EncodeHeader(const FrameHeader& header);

// Validates and decodes a header of exactly kFrameHeaderSize bytes: magic, version, type, and
// meta+body <= max_frame (so a corrupt or hostile length never causes a huge allocation).
Result<FrameHeader> DecodeHeader(std::string_view bytes, uint64_t max_frame);

// Blocking helpers for the worker side (plain fds, no Asio). ReadFrame returns a kRetryable
// error "end of stream" on orderly EOF before a header, kPermanent on corrupt frames.
Result<Frame> ReadFrame(int fd, uint64_t max_frame);
Status WriteFrame(int fd, const Frame& frame);

}  // namespace tributary::merge::pool
