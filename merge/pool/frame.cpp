#include "merge/pool/frame.hpp"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <limits>

namespace tributary::merge::pool {
namespace {

// At most this many descriptors are accepted with one recvmsg; a frame needs at most one, the
// rest only make room to see (and close) what a misbehaving peer sent.
constexpr size_t kMaxFdsPerReceive = 4;

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

class SystemIo final : public FdIo {
 public:
  ssize_t Receive(int fd, char* data, size_t n, std::vector<int>* fds) override {
    iovec iov{data, n};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerReceive)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t r = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    if (r < 0) return r;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int passed;
        std::memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof passed);
        fds->push_back(passed);
      }
    }
    // More descriptors than fit were closed by the kernel; remember that it happened with an
    // impossible entry so the caller rejects the frame.
    if ((msg.msg_flags & MSG_CTRUNC) != 0) fds->push_back(-1);
    return r;
  }
  ssize_t Send(int fd, const char* data, size_t n, int pass_fd) override {
    return SendWithFd(fd, data, n, pass_fd, /*nonblocking=*/false);
  }
};

// Descriptors received while reading one frame; closed unless handed on.
class ReceivedFds {
 public:
  ReceivedFds() = default;
  ReceivedFds(const ReceivedFds&) = delete;
  ReceivedFds& operator=(const ReceivedFds&) = delete;
  ~ReceivedFds() {
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  std::vector<int>* get() { return &fds_; }
  size_t size() const { return fds_.size(); }
  int Release() {
    const int fd = fds_.front();
    fds_.clear();
    return fd;
  }

 private:
  std::vector<int> fds_;
};

// Reads exactly n bytes; returns bytes read (< n only at EOF) or -1 on error.
ssize_t ReadFull(FdIo& io, int fd, char* data, size_t n, std::vector<int>* fds) {
  size_t done = 0;
  while (done < n) {
    const ssize_t r = io.Receive(fd, data + done, n - done, fds);
    if (r == 0) break;
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    done += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(done);
}

// Writes all of `data`; `pass_fd` travels with the first bytes that go out.
bool WriteFull(FdIo& io, int fd, const char* data, size_t n, int pass_fd) {
  size_t done = 0;
  while (done < n) {
    const ssize_t w = io.Send(fd, data + done, n - done, pass_fd);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (w > 0) pass_fd = -1;
    done += static_cast<size_t>(w);
  }
  return true;
}

std::string Errno() { return std::strerror(errno); }

}  // namespace

FdIo& SystemFdIo() {
  static SystemIo io;
  return io;
}

ssize_t SendWithFd(int socket, const char* data, size_t n, int pass_fd, bool nonblocking) {
  iovec iov{const_cast<char*>(data), n};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  if (pass_fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &pass_fd, sizeof pass_fd);
  }
  return ::sendmsg(socket, &msg, MSG_NOSIGNAL | (nonblocking ? MSG_DONTWAIT : 0));
}

std::string EncodeHeader(const FrameHeader& header) {
  std::string out;
  out.reserve(kFrameHeaderSize);
  PutLe(out, kFrameMagic, 4);
  PutLe(out, kFrameVersion, 2);
  PutLe(out, static_cast<uint16_t>(header.type), 2);
  PutLe(out, header.request_id, 8);
  PutLe(out, header.meta_length, 4);
  PutLe(out, header.body_length, 4);
  PutLe(out, header.flags, 4);
  PutLe(out, header.body_in_region() ? header.region_slot : 0, 4);
  return out;
}

Result<std::string> EncodeFrame(const Frame& frame) {
  constexpr size_t kMax = std::numeric_limits<uint32_t>::max();
  const size_t body_size = frame.shared_body  ? frame.shared_body->size()
                           : frame.region_slot ? frame.region_body.size()
                                               : frame.body.size();
  if (frame.meta.size() > kMax || body_size > kMax) {
    return Error::Permanent("frame part exceeds 4 GiB");
  }
  if ((frame.shared_body ? 1 : 0) + (frame.region_slot ? 1 : 0) + (frame.body.empty() ? 0 : 1) >
      1) {
    return Error::Permanent("frame has more than one body");
  }
  FrameHeader header;
  header.type = frame.type;
  header.request_id = frame.request_id;
  header.meta_length = static_cast<uint32_t>(frame.meta.size());
  header.body_length = static_cast<uint32_t>(body_size);
  header.flags = frame.shared_body ? kFrameBodyInFd : frame.region_slot ? kFrameBodyInRegion : 0;
  header.region_slot = frame.region_slot.value_or(0);
  std::string out = EncodeHeader(header);
  out.reserve(kFrameHeaderSize + header.StreamPayloadSize());
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
  h.flags = static_cast<uint32_t>(GetLe(bytes, 24, 4));
  h.region_slot = static_cast<uint32_t>(GetLe(bytes, 28, 4));
  if ((h.flags & ~(kFrameBodyInFd | kFrameBodyInRegion)) != 0 ||
      (h.body_in_fd() && h.body_in_region())) {
    return Error::Permanent("unknown frame flags " + std::to_string(h.flags));
  }
  if (!h.body_in_region() && h.region_slot != 0) {
    return Error::Permanent("frame names a region slot without a body in the region");
  }
  // Only the daemon writes into a region; a reply naming one would announce a body that the
  // stream never carries.
  if (h.body_in_region() && h.type == FrameType::kReply) {
    return Error::Permanent("a reply cannot have its body in a region");
  }
  if (h.PayloadSize() > max_frame) {
    return Error::Permanent("frame of " + std::to_string(h.PayloadSize()) +
                            " bytes exceeds the cap of " + std::to_string(max_frame));
  }
  return h;
}

Result<Frame> ReadFrame(int fd, uint64_t max_frame, FdIo& io, const BodyRegion* region) {
  ReceivedFds fds;
  char raw[kFrameHeaderSize];
  const ssize_t got = ReadFull(io, fd, raw, sizeof raw, fds.get());
  if (got == 0) return Error::Retryable("end of stream");
  if (got < 0) return Error::Retryable("read failed: " + Errno());
  if (static_cast<size_t>(got) < sizeof raw) return Error::Permanent("truncated frame header");
  auto header = DecodeHeader(std::string_view(raw, sizeof raw), max_frame);
  if (!header) return header.error();

  Frame frame;
  frame.type = header->type;
  frame.request_id = header->request_id;
  if (header->body_in_fd()) {
    if (fds.size() != 1) {
      return Error::Permanent("frame announces a shared body but carries " +
                              std::to_string(fds.size()) + " descriptors");
    }
    auto body = SharedBody::Adopt(fds.Release(), header->body_length);
    if (!body) return Error::Permanent(body.error().message);
    frame.shared_body = std::move(body.value());
  } else if (fds.size() != 0) {
    return Error::Permanent("frame carries an unexpected file descriptor");
  }
  if (header->body_in_region()) {
    if (region == nullptr) return Error::Permanent("frame names a body region there is none of");
    auto body = region->View(header->region_slot, header->body_length);
    if (!body) return body.error();
    frame.region_slot = header->region_slot;
    frame.region_body = *body;
  }
  frame.meta.resize(header->meta_length);
  if (!header->body_in_fd() && !header->body_in_region()) frame.body.resize(header->body_length);
  if (ReadFull(io, fd, frame.meta.data(), frame.meta.size(), fds.get()) !=
          static_cast<ssize_t>(frame.meta.size()) ||
      ReadFull(io, fd, frame.body.data(), frame.body.size(), fds.get()) !=
          static_cast<ssize_t>(frame.body.size())) {
    return Error::Permanent("truncated frame payload");
  }
  if (fds.size() != 0) return Error::Permanent("frame carries an unexpected file descriptor");
  return frame;
}

Status WriteFrame(int fd, const Frame& frame, FdIo& io) {
  auto encoded = EncodeFrame(frame);
  if (!encoded) return encoded.error();
  const int pass_fd = frame.shared_body ? frame.shared_body->fd() : -1;
  if (!WriteFull(io, fd, encoded->data(), encoded->size(), pass_fd)) {
    return Error::Retryable("write failed: " + Errno());
  }
  return Status::Ok();
}

}  // namespace tributary::merge::pool
