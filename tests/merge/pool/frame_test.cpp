#include "merge/pool/frame.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

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
}

TEST(Frame, RejectsBadMagicVersionTypeAndShortHeaders) {
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
}

TEST(Frame, CapIsCheckedBeforeAllocating) {
  FrameHeader header;
  header.meta_length = 0xffffffffu;
  header.body_length = 0xffffffffu;
  auto decoded = DecodeHeader(EncodeHeader(header), kDefaultMaxFrame);
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message.find("exceeds the cap"), std::string::npos);
}

TEST(Frame, ReadWriteOverSocket) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ASSERT_TRUE(WriteFrame(sv[0], Sample()));
  auto got = ReadFrame(sv[1], 1 << 20);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->request_id, Sample().request_id);
  EXPECT_EQ(got->meta, Sample().meta);
  EXPECT_EQ(got->body, Sample().body);
  close(sv[0]);
  auto eof = ReadFrame(sv[1], 1 << 20);
  ASSERT_FALSE(eof);
  EXPECT_EQ(eof.error().message, "end of stream");
  close(sv[1]);
}

// Every truncation of a valid frame is an error, never a crash or a hang.
TEST(Frame, TruncatedStreamsAreErrors) {
  const std::string good = *EncodeFrame(Sample());
  for (size_t n = 1; n < good.size(); ++n) {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ASSERT_EQ(write(sv[0], good.data(), n), static_cast<ssize_t>(n));
    close(sv[0]);
    auto got = ReadFrame(sv[1], 1 << 20);
    EXPECT_FALSE(got) << n;
    EXPECT_EQ(got.error().error_class, ErrorClass::kPermanent) << n;
    close(sv[1]);
  }
}

}  // namespace
}  // namespace tributary::merge::pool
