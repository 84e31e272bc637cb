#include "merge/pool/frame.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <functional>

#include "merge/pool/worker_limits.hpp"

namespace tributary::merge::pool {
namespace {

Frame Sample() {
  Frame f;
  f.type = FrameType::kRequest;
  f.request_id = 0x0102030405060708ull;
  f.meta = R"({"job":"extract"})";
  f.body = std::string("<html>\0binary\xff", 14);
  return f;
}

std::string LargeBody(size_t n = 300 * 1024) {
  std::string body(n, '\0');
  for (size_t i = 0; i < n; ++i) body[i] = static_cast<char>((i * 7919) % 251);
  return body;
}

Frame SharedSample() {
  Frame f = Sample();
  f.body.clear();
  f.shared_body = *SharedBody::Create(LargeBody());
  return f;
}

int OpenFds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (readdir(d) != nullptr) ++n;
  closedir(d);
  return n;
}

struct SocketPair {
  SocketPair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd), 0); }
  ~SocketPair() {
    CloseWriter();
    close(fd[1]);
  }
  void CloseWriter() {
    if (fd[0] >= 0) close(fd[0]);
    fd[0] = -1;
  }
  int fd[2] = {-1, -1};
};

// Sends raw bytes (and optionally descriptors) as a misbehaving peer would.
void SendRaw(int socket, const std::string& bytes, std::vector<int> pass = {}) {
  if (pass.empty()) {
    ASSERT_EQ(SendWithFd(socket, bytes.data(), bytes.size(), -1, false),
              static_cast<ssize_t>(bytes.size()));
    return;
  }
  iovec iov{const_cast<char*>(bytes.data()), bytes.size()};
  std::vector<char> control(CMSG_SPACE(sizeof(int) * pass.size()));
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * pass.size());
  std::memcpy(CMSG_DATA(c), pass.data(), sizeof(int) * pass.size());
  ASSERT_EQ(sendmsg(socket, &msg, MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
}

std::string SharedHeader(uint32_t body_length, uint32_t flags = kFrameBodyInFd) {
  FrameHeader h;
  h.request_id = 9;
  h.meta_length = 2;
  h.body_length = body_length;
  h.flags = flags;
  return EncodeHeader(h) + "{}";
}

TEST(Frame, HeaderRoundTrip) {
  auto encoded = EncodeFrame(Sample());
  ASSERT_TRUE(encoded);
  ASSERT_EQ(encoded->size(), kFrameHeaderSize + Sample().meta.size() + Sample().body.size());
  auto h = DecodeHeader(std::string_view(*encoded).substr(0, kFrameHeaderSize), 1 << 20);
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->type, FrameType::kRequest);
  EXPECT_EQ(h->request_id, 0x0102030405060708ull);
  EXPECT_EQ(h->meta_length, Sample().meta.size());
  EXPECT_EQ(h->body_length, Sample().body.size());
  EXPECT_FALSE(h->body_in_fd());
}

TEST(Frame, RejectsBadMagicVersionTypeFlagsAndShortHeaders) {
  const std::string good = *EncodeFrame(Sample());
  std::string h = good.substr(0, kFrameHeaderSize);
  for (size_t n = 0; n < kFrameHeaderSize; ++n) {
    EXPECT_FALSE(DecodeHeader(std::string_view(h).substr(0, n), 1 << 20)) << n;
  }
  std::string bad = h;
  bad[0] = 'X';
  EXPECT_EQ(DecodeHeader(bad, 1 << 20).error().message, "bad frame magic");
  bad = h;
  bad[4] = 9;
  EXPECT_EQ(DecodeHeader(bad, 1 << 20).error().message, "unsupported frame version 9");
  bad = h;
  bad[6] = 7;
  EXPECT_EQ(DecodeHeader(bad, 1 << 20).error().message, "unknown frame type 7");
  bad = h;
  bad[24] = 4;
  EXPECT_EQ(DecodeHeader(bad, 1 << 20).error().message, "unknown frame flags 4");
  bad = h;
  bad[30] = 1;  // reserved
  EXPECT_FALSE(DecodeHeader(bad, 1 << 20));
}

TEST(Frame, CapIsCheckedBeforeAllocating) {
  FrameHeader header;
  header.meta_length = 0xffffffffu;
  header.body_length = 0xffffffffu;
  auto decoded = DecodeHeader(EncodeHeader(header), kDefaultMaxFrame);
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message.find("exceeds the cap"), std::string::npos);
  // A shared body counts against the cap too: it is mapped into the reader.
  header.meta_length = 10;
  header.body_length = 2000;
  header.flags = kFrameBodyInFd;
  EXPECT_FALSE(DecodeHeader(EncodeHeader(header), 1000));
}

TEST(Frame, ReadWriteOverSocket) {
  SocketPair s;
  ASSERT_TRUE(WriteFrame(s.fd[0], Sample()));
  auto got = ReadFrame(s.fd[1], 1 << 20);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->request_id, Sample().request_id);
  EXPECT_EQ(got->meta, Sample().meta);
  EXPECT_EQ(got->body, Sample().body);
  EXPECT_FALSE(got->shared_body);
  s.CloseWriter();
  auto eof = ReadFrame(s.fd[1], 1 << 20);
  ASSERT_FALSE(eof);
  EXPECT_EQ(eof.error().message, "end of stream");
}

TEST(SharedBody, IsSealedAndReadOnly) {
  const std::string body = LargeBody();
  auto shared = SharedBody::Create(body);
  ASSERT_TRUE(shared) << shared.error().message;
  EXPECT_EQ((*shared)->view(), body);
  const int fd = (*shared)->fd();
  EXPECT_EQ(write(fd, "x", 1), -1);  // F_SEAL_WRITE
  EXPECT_EQ(errno, EPERM);
  EXPECT_NE(ftruncate(fd, 1), 0);                             // F_SEAL_SHRINK
  EXPECT_NE(ftruncate(fd, body.size() * 2), 0);               // F_SEAL_GROW
  EXPECT_NE(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), 0);  // F_SEAL_SEAL
  auto empty = SharedBody::Create("");
  ASSERT_TRUE(empty);
  EXPECT_EQ((*empty)->view(), "");
}

TEST(Frame, SharedBodyTravelsAsADescriptor) {
  const int fds_before = OpenFds();
  {
    SocketPair s;
    const Frame sent = SharedSample();
    auto encoded = EncodeFrame(sent);
    ASSERT_TRUE(encoded);
    EXPECT_EQ(encoded->size(), kFrameHeaderSize + sent.meta.size());  // no body in the stream
    ASSERT_TRUE(WriteFrame(s.fd[0], sent));
    auto got = ReadFrame(s.fd[1], 1 << 20);
    ASSERT_TRUE(got) << got.error().message;
    ASSERT_TRUE(got->shared_body);
    EXPECT_NE(got->shared_body->fd(), sent.shared_body->fd());
    EXPECT_EQ(got->Body(), LargeBody());
    EXPECT_EQ(got->meta, sent.meta);
    EXPECT_TRUE(got->body.empty());
    EXPECT_EQ(fcntl(got->shared_body->fd(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  }
  EXPECT_EQ(OpenFds(), fds_before);
}

TEST(Frame, FrameWithBothBodiesIsRefused) {
  Frame f = SharedSample();
  f.body = "inline too";
  EXPECT_FALSE(EncodeFrame(f));
}

// What a hostile or broken peer can send instead of a proper shared body: always a clear
// kPermanent error, and no descriptor left open.
TEST(Frame, BadBodyDescriptorsAreRejectedWithoutLeaks) {
  const std::string body = LargeBody(1000);
  struct Case {
    std::string name;
    std::function<void(int socket)> send;
    std::string expected;
  };
  std::vector<Case> cases;
  cases.push_back({"pipe",
                   [&](int socket) {
                     int p[2];
                     ASSERT_EQ(pipe(p), 0);
                     SendRaw(socket, SharedHeader(0), {p[0]});
                     close(p[0]);
                     close(p[1]);
                   },
                   "not a sealed memfd"});
  cases.push_back({"unsealed memfd",
                   [&](int socket) {
                     const int fd = memfd_create("unsealed", MFD_CLOEXEC);
                     ASSERT_EQ(write(fd, body.data(), body.size()),
                               static_cast<ssize_t>(body.size()));
                     SendRaw(socket, SharedHeader(body.size()), {fd});
                     close(fd);
                   },
                   "not a sealed memfd"});
  cases.push_back({"size larger than the file",
                   [&](int socket) {
                     auto shared = *SharedBody::Create(body);
                     SendRaw(socket, SharedHeader(body.size() + 1), {shared->fd()});
                   },
                   "holds 1000 bytes but the frame announces 1001"});
  cases.push_back({"size smaller than the file",
                   [&](int socket) {
                     auto shared = *SharedBody::Create(body);
                     SendRaw(socket, SharedHeader(10), {shared->fd()});
                   },
                   "holds 1000 bytes but the frame announces 10"});
  cases.push_back({"flag without descriptor",
                   [&](int socket) { SendRaw(socket, SharedHeader(body.size())); },
                   "carries 0 descriptors"});
  cases.push_back({"two descriptors",
                   [&](int socket) {
                     auto a = *SharedBody::Create(body);
                     auto b = *SharedBody::Create(body);
                     SendRaw(socket, SharedHeader(body.size()), {a->fd(), b->fd()});
                   },
                   "carries 2 descriptors"});
  cases.push_back({"descriptor without flag",
                   [&](int socket) {
                     auto shared = *SharedBody::Create(body);
                     SendRaw(socket, SharedHeader(0, 0), {shared->fd()});
                   },
                   "unexpected file descriptor"});
  cases.push_back({"descriptor sent with the payload",
                   [&](int socket) {
                     FrameHeader h;
                     h.meta_length = 4;
                     SendRaw(socket, EncodeHeader(h));
                     auto shared = *SharedBody::Create(body);
                     SendRaw(socket, "{}{}", {shared->fd()});
                   },
                   "unexpected file descriptor"});
  for (const auto& c : cases) {
    const int fds_before = OpenFds();
    {
      SocketPair s;
      c.send(s.fd[0]);
      s.CloseWriter();
      auto got = ReadFrame(s.fd[1], 1 << 20);
      ASSERT_FALSE(got) << c.name;
      EXPECT_EQ(got.error().error_class, ErrorClass::kPermanent) << c.name;
      EXPECT_NE(got.error().message.find(c.expected), std::string::npos)
          << c.name << ": " << got.error().message;
    }
    EXPECT_EQ(OpenFds(), fds_before) << c.name;
  }
}

// Every truncation of a valid frame is an error, never a crash or a hang.
TEST(Frame, TruncatedStreamsAreErrors) {
  for (const Frame& frame : {Sample(), SharedSample()}) {
    const std::string good = *EncodeFrame(frame);
    const int pass = frame.shared_body ? frame.shared_body->fd() : -1;
    for (size_t n = 1; n < good.size(); ++n) {
      const int fds_before = OpenFds();
      {
        SocketPair s;
        ASSERT_EQ(SendWithFd(s.fd[0], good.data(), n, pass, false), static_cast<ssize_t>(n));
        s.CloseWriter();
        auto got = ReadFrame(s.fd[1], 1 << 20);
        EXPECT_FALSE(got) << n;
        EXPECT_EQ(got.error().error_class, ErrorClass::kPermanent) << n;
      }
      EXPECT_EQ(OpenFds(), fds_before) << n;
    }
  }
}

// The socket calls fail at the Nth one (EIO), or move one byte at a time.
class FaultyIo final : public FdIo {
 public:
  explicit FaultyIo(int fail_at, bool trickle = false) : fail_at_(fail_at), trickle_(trickle) {}
  ssize_t Receive(int fd, char* data, size_t n, std::vector<int>* fds) override {
    if (Fail()) return -1;
    return SystemFdIo().Receive(fd, data, trickle_ ? std::min<size_t>(n, 1) : n, fds);
  }
  ssize_t Send(int fd, const char* data, size_t n, int pass_fd) override {
    if (Fail()) return -1;
    return SystemFdIo().Send(fd, data, trickle_ ? std::min<size_t>(n, 1) : n, pass_fd);
  }
  bool failed() const { return calls_ > fail_at_; }

 private:
  bool Fail() {
    if (calls_++ != fail_at_) return false;
    errno = EIO;
    return true;
  }
  int calls_ = 0;
  const int fail_at_;
  const bool trickle_;
};

TEST(Frame, WriteFailsCleanlyAtEveryCall) {
  for (const Frame& frame : {Sample(), SharedSample()}) {
    for (int n = 0;; ++n) {
      SocketPair s;
      FaultyIo io(n, /*trickle=*/true);
      const Status written = WriteFrame(s.fd[0], frame, io);
      if (!io.failed()) {
        ASSERT_TRUE(written) << n;
        auto got = ReadFrame(s.fd[1], 1 << 20);
        ASSERT_TRUE(got) << got.error().message;
        EXPECT_EQ(got->Body(), frame.Body());
        break;
      }
      ASSERT_FALSE(written) << n;
      EXPECT_EQ(written.error().error_class, ErrorClass::kRetryable);
      EXPECT_NE(written.error().message.find("Input/output error"), std::string::npos);
      ASSERT_LT(n, 100000);
    }
  }
}

TEST(Frame, ReadFailsCleanlyAtEveryCall) {
  for (const Frame& frame : {Sample(), SharedSample()}) {
    for (int n = 0;; ++n) {
      const int fds_before = OpenFds();
      bool done = false;
      {
        SocketPair s;
        ASSERT_TRUE(WriteFrame(s.fd[0], frame));
        FaultyIo io(n, /*trickle=*/true);
        auto got = ReadFrame(s.fd[1], 1 << 20, io);
        if (!io.failed()) {
          ASSERT_TRUE(got) << got.error().message;
          EXPECT_EQ(got->meta, frame.meta);
          EXPECT_EQ(got->Body(), frame.Body());
          done = true;
        } else {
          EXPECT_FALSE(got) << n;
        }
      }
      EXPECT_EQ(OpenFds(), fds_before) << n;
      if (done) break;
      ASSERT_LT(n, 100000);
    }
  }
}

// The worker's side of a region the daemon made: its descriptor duplicated, as at spawn.
std::unique_ptr<BodyRegion> WorkerSide(const BodyRegion& daemon_side) {
  auto adopted = BodyRegion::Adopt(fcntl(daemon_side.fd(), F_DUPFD_CLOEXEC, 0),
                                   daemon_side.slot_size());
  EXPECT_TRUE(adopted) << adopted.error().message;
  return adopted ? std::move(adopted.value()) : nullptr;
}

TEST(BodyRegion, WorkerSideIsReadOnlyAndFixedInSize) {
  auto region = BodyRegion::Create(64 * 1024);
  ASSERT_TRUE(region) << region.error().message;
  auto worker = WorkerSide(**region);
  ASSERT_TRUE(worker);
  const int fd = worker->fd();
  const size_t size = 2 * 64 * 1024;
  // F_SEAL_FUTURE_WRITE: no writable shared mapping after the daemon's own, and no write().
  EXPECT_EQ(mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), MAP_FAILED);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(write(fd, "x", 1), -1);
  void* ro = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ASSERT_NE(ro, MAP_FAILED);
  EXPECT_NE(mprotect(ro, size, PROT_READ | PROT_WRITE), 0);  // nor by upgrading a read mapping
  munmap(ro, size);
  EXPECT_NE(ftruncate(fd, 1), 0);         // F_SEAL_SHRINK: the daemon's mapping cannot fault
  EXPECT_NE(ftruncate(fd, size * 2), 0);  // F_SEAL_GROW
  // What the daemon writes, the worker reads.
  (*region)->Write(1, "second slot");
  auto view = worker->View(1, 11);
  ASSERT_TRUE(view);
  EXPECT_EQ(*view, "second slot");
  EXPECT_FALSE(worker->View(2, 1));
  EXPECT_FALSE(worker->View(0, 64 * 1024 + 1));
  EXPECT_TRUE(worker->View(0, 64 * 1024));
}

TEST(BodyRegion, AdoptRefusesWhatCreateWouldNotMake) {
  const int fds_before = OpenFds();
  {
    const int plain = memfd_create("unsealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    ASSERT_EQ(ftruncate(plain, 2 * 4096), 0);
    auto unsealed = BodyRegion::Adopt(plain, 4096);
    ASSERT_FALSE(unsealed);
    EXPECT_NE(unsealed.error().message.find("not a sealed memfd"), std::string::npos);
    auto region = BodyRegion::Create(4096);
    ASSERT_TRUE(region);
    auto wrong = BodyRegion::Adopt(fcntl((*region)->fd(), F_DUPFD_CLOEXEC, 0), 8192);
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().message.find("holds 8192 bytes instead of 16384"), std::string::npos);
    EXPECT_FALSE(BodyRegion::Adopt(-1, 4096));
    EXPECT_FALSE(BodyRegion::FromWorkerArgs({"--body-region=none"}));
    EXPECT_FALSE(BodyRegion::FromWorkerArgs({"--body-region=0"}));
    auto absent = BodyRegion::FromWorkerArgs({"worker", "--max-open-files=9"});
    ASSERT_TRUE(absent);
    EXPECT_EQ(absent->get(), nullptr);
  }
  EXPECT_EQ(OpenFds(), fds_before);  // every refused descriptor was closed
}

TEST(Frame, BodyInARegionSlotTravelsAsItsSlotNumber) {
  auto region = BodyRegion::Create(64 * 1024);
  ASSERT_TRUE(region);
  auto worker = WorkerSide(**region);
  ASSERT_TRUE(worker);
  const std::string body = LargeBody(50 * 1024);
  (*region)->Write(1, body);
  Frame sent = Sample();
  sent.body.clear();
  sent.region_slot = 1;
  sent.region_body = std::string_view(body);
  auto encoded = EncodeFrame(sent);
  ASSERT_TRUE(encoded);
  EXPECT_EQ(encoded->size(), kFrameHeaderSize + sent.meta.size());  // no body in the stream
  SocketPair s;
  ASSERT_TRUE(WriteFrame(s.fd[0], sent));
  auto got = ReadFrame(s.fd[1], 1 << 20, SystemFdIo(), worker.get());
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_TRUE(got->region_slot);
  EXPECT_EQ(*got->region_slot, 1u);
  EXPECT_EQ(got->Body(), body);
  EXPECT_EQ(got->meta, sent.meta);
  EXPECT_TRUE(got->body.empty());

  // A worker without a region, a slot it does not have, a body larger than a slot (each on a
  // stream of its own: a corrupt frame ends its stream).
  {
    SocketPair t;
    ASSERT_TRUE(WriteFrame(t.fd[0], sent));
    auto no_region = ReadFrame(t.fd[1], 1 << 20);
    ASSERT_FALSE(no_region);
    EXPECT_EQ(no_region.error().message, "frame names a body region there is none of");
  }
  FrameHeader h;
  h.meta_length = 2;
  h.flags = kFrameBodyInRegion;
  h.region_slot = 2;
  h.body_length = 10;
  {
    SocketPair t;
    SendRaw(t.fd[0], EncodeHeader(h) + "{}");
    auto bad_slot = ReadFrame(t.fd[1], 1 << 20, SystemFdIo(), worker.get());
    ASSERT_FALSE(bad_slot);
    EXPECT_EQ(bad_slot.error().message, "body region slot 2 does not exist");
  }
  h.region_slot = 0;
  h.body_length = 64 * 1024 + 1;
  {
    SocketPair t;
    SendRaw(t.fd[0], EncodeHeader(h) + "{}");
    auto too_long = ReadFrame(t.fd[1], 1 << 20, SystemFdIo(), worker.get());
    ASSERT_FALSE(too_long);
    EXPECT_NE(too_long.error().message.find("does not fit a region slot"), std::string::npos);
  }

  // Two bodies in one frame, both body flags, or a slot without the flag are refused.
  Frame both = sent;
  both.body = "inline too";
  EXPECT_FALSE(EncodeFrame(both));
  h.flags = kFrameBodyInRegion | kFrameBodyInFd;
  EXPECT_FALSE(DecodeHeader(EncodeHeader(h), 1 << 20));
  h.flags = 0;
  h.region_slot = 1;
  std::string raw = EncodeHeader(h);
  EXPECT_EQ(raw.substr(28), std::string(4, '\0'));  // EncodeHeader writes a slot only with the flag
  raw[28] = 1;
  auto stray_slot = DecodeHeader(raw, 1 << 20);
  ASSERT_FALSE(stray_slot);
  EXPECT_EQ(stray_slot.error().message, "frame names a region slot without a body in the region");
  // Only requests have their body in a region: a reply naming one would announce bytes that
  // never come.
  h.type = FrameType::kReply;
  h.flags = kFrameBodyInRegion;
  h.region_slot = 0;
  auto reply = DecodeHeader(EncodeHeader(h), 1 << 20);
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().message, "a reply cannot have its body in a region");
}

TEST(WorkerLimits, ArgumentsRoundTrip) {
  WorkerLimits limits;
  limits.address_space = 1ull << 30;
  limits.cpu_seconds_per_job = 11;
  limits.max_open_files = 32;
  auto args = WorkerLimitArgs(limits);
  args.insert(args.begin(), {"worker", "--log-level", "debug"});
  auto parsed = ParseWorkerLimitArgs(args);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->address_space, limits.address_space);
  EXPECT_EQ(parsed->cpu_seconds_per_job, 11);
  EXPECT_EQ(parsed->max_open_files, 32);
  for (const char* bad :
       {"--max-memory=", "--max-memory=12x", "--cpu-per-job=-1", "--max-open-files=many"}) {
    EXPECT_FALSE(ParseWorkerLimitArgs({bad})) << bad;
  }
}

}  // namespace
}  // namespace tributary::merge::pool
