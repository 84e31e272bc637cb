#include "merge/pool/frame.hpp"

#include <errno.h>
#include <unistd.h>

#include <cstring>
#include <limits>

namespace tributary::merge::pool {
namespace {

void PutLe(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetLe(std::string_view in, size_t offset, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v |= uint64_t{static_cast<unsigned char>(in[offset + i])} << (8 * i);
  }
  return v;
}

// Reads exactly n bytes; returns bytes read (< n only at EOF) or -1 on error.
ssize_t ReadFull(int fd, char* data, size_t n) {
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::read(fd, data + done, n - done);
    if (r == 0) break;
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    done += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(done);
}

bool WriteFull(int fd, const char* data, size_t n) {
  size_t done = 0;
  while (done < n) {
    const ssize_t w = ::write(fd, data + done, n - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

std::string EncodeHeader(const FrameHeader& header) {
  std::string out;
  out.reserve(kFrameHeaderSize);
  PutLe(out, kFrameMagic, 4);
  PutLe(out, kFrameVersion, 2);
  PutLe(out, static_cast<uint16_t>(header.type), 2);
  PutLe(out, header.request_id, 8);
  PutLe(out, header.meta_length, 4);
  PutLe(out, header.body_length, 4);
  return out;
}

Result<std::string> EncodeFrame(const Frame& frame) {
  constexpr size_t kMax = std::numeric_limits<uint32_t>::max();
  if (frame.meta.size() > kMax || frame.body.size() > kMax) {
    return Error::Permanent("frame part exceeds 4 GiB");
  }
  FrameHeader header;
  header.type = frame.type;
  header.request_id = frame.request_id;
  header.meta_length = static_cast<uint32_t>(frame.meta.size());
  header.body_length = static_cast<uint32_t>(frame.body.size());
  std::string out = EncodeHeader(header);
  out.reserve(kFrameHeaderSize + frame.meta.size() + frame.body.size());
  out += frame.meta;
  out += frame.body;
  return out;
}

Result<FrameHeader> DecodeHeader(std::string_view bytes, uint64_t max_frame) {
  if (bytes.size() != kFrameHeaderSize) return Error::Permanent("short frame header");
  if (GetLe(bytes, 0, 4) != kFrameMagic) return Error::Permanent("bad frame magic");
  const auto version = GetLe(bytes, 4, 2);
  if (version != kFrameVersion) {
    return Error::Permanent("unsupported frame version " + std::to_string(version));
  }
  const auto type = GetLe(bytes, 6, 2);
  if (type != static_cast<uint16_t>(FrameType::kRequest) &&
      type != static_cast<uint16_t>(FrameType::kReply)) {
    return Error::Permanent("unknown frame type " + std::to_string(type));
  }
  FrameHeader h;
  h.type = static_cast<FrameType>(type);
  h.request_id = GetLe(bytes, 8, 8);
  h.meta_length = static_cast<uint32_t>(GetLe(bytes, 16, 4));
  h.body_length = static_cast<uint32_t>(GetLe(bytes, 20, 4));
  if (h.PayloadSize() > max_frame) {
    return Error::Permanent("frame of " + std::to_string(h.PayloadSize()) +
                            " bytes exceeds the cap of " + std::to_string(max_frame));
  }
  return h;
}

Result<Frame> ReadFrame(int fd, uint64_t max_frame) {
  char raw[kFrameHeaderSize];
  const ssize_t got = ReadFull(fd, raw, sizeof raw);
  if (got == 0) return Error::Retryable("end of stream");
  if (got < 0) return Error::Retryable(std::string("read failed: ") + std::strerror(errno));
  if (static_cast<size_t>(got) < sizeof raw) return Error::Permanent("truncated frame header");
  auto header = DecodeHeader(std::string_view(raw, sizeof raw), max_frame);
  if (!header) return header.error();
  Frame frame;
  frame.type = header->type;
  frame.request_id = header->request_id;
  frame.meta.resize(header->meta_length);
  frame.body.resize(header->body_length);
  if (ReadFull(fd, frame.meta.data(), frame.meta.size()) !=
          static_cast<ssize_t>(frame.meta.size()) ||
      ReadFull(fd, frame.body.data(), frame.body.size()) !=
          static_cast<ssize_t>(frame.body.size())) {
    return Error::Permanent("truncated frame payload");
  }
  return frame;
}

Status WriteFrame(int fd, const Frame& frame) {
  auto encoded = EncodeFrame(frame);
  if (!encoded) return encoded.error();
  if (!WriteFull(fd, encoded->data(), encoded->size())) {
    return Error::Retryable(std::string("write failed: ") + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace tributary::merge::pool
