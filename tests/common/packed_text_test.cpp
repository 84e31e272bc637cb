// PackedWriter/PackedReader: texts and integers round-trip, whatever bytes they hold, and a
// truncated or corrupt sequence is refused.
#include "common/packed_text.hpp"

#include <gtest/gtest.h>

namespace tributary {
namespace {

TEST(PackedText, RoundTripsTextsAndIntegers) {
  std::string packed;
  PackedWriter out(packed);
  const std::string binary("a:\0b\n12:", 8);
  out.Text("");
  out.Text(binary);
  out.Int(-42);
  out.Int(INT64_MAX);
  out.Int(INT64_MIN);
  out.Int(0);
  out.Text("{\"k\":1}");
  const std::string long_text(1000, 'x');  // past what the writer gathers before appending
  out.Text(long_text);
  out.Int(7);
  out.Flush();

  PackedReader in(packed);
  std::string_view text;
  int64_t n = 0;
  ASSERT_TRUE(in.Text(text));
  EXPECT_EQ(text, "");
  ASSERT_TRUE(in.Text(text));
  EXPECT_EQ(text, binary);
  ASSERT_TRUE(in.Int(n));
  EXPECT_EQ(n, -42);
  ASSERT_TRUE(in.Int(n));
  EXPECT_EQ(n, INT64_MAX);
  ASSERT_TRUE(in.Int(n));
  EXPECT_EQ(n, INT64_MIN);
  ASSERT_TRUE(in.Int(n));
  EXPECT_EQ(n, 0);
  ASSERT_TRUE(in.Text(text));
  EXPECT_EQ(text, "{\"k\":1}");
  ASSERT_TRUE(in.Text(text));
  EXPECT_EQ(text, long_text);
  ASSERT_TRUE(in.Int(n));
  EXPECT_EQ(n, 7);
  EXPECT_TRUE(in.done());
  EXPECT_FALSE(in.Text(text));  // exhausted
}

TEST(PackedText, AWriterLeavesEverythingWrittenInTheStringWhenItGoes) {
  // Pieces short and long, many more than the writer gathers before appending them.
  std::string packed;
  {
    PackedWriter out(packed);
    for (int i = 0; i < 1000; ++i) {
      out.Int(i);
      out.Text(std::string(static_cast<size_t>(i % 50), 'a'));
    }
  }
  PackedReader in(packed);
  for (int i = 0; i < 1000; ++i) {
    int64_t n = -1;
    std::string_view text;
    ASSERT_TRUE(in.Int(n));
    EXPECT_EQ(n, i);
    ASSERT_TRUE(in.Text(text));
    EXPECT_EQ(text, std::string(static_cast<size_t>(i % 50), 'a'));
  }
  EXPECT_TRUE(in.done());
}

TEST(PackedText, RefusesCorruptInputAndStaysFailed) {
  std::string_view text;
  int64_t n = 0;
  for (const char* bad : {"5:abc", "x:abc", "3abc", ":", "-1:a", "99999999999999999999999:a"}) {
    PackedReader in(bad);
    EXPECT_FALSE(in.Text(text)) << bad;
    EXPECT_TRUE(in.failed()) << bad;
  }
  PackedReader not_a_number("2:1x1:5");
  EXPECT_FALSE(not_a_number.Int(n));
  EXPECT_FALSE(not_a_number.Int(n));  // stays failed, the next field is not read
  // Integers beyond int64_t, a sign alone, a sign twice, a plus sign, an empty text.
  for (const char* bad : {"19:9223372036854775808", "20:-9223372036854775809", "1:-", "2:--1",
                          "2:+1", "0:", "20:12345678901234567890"}) {
    PackedReader in(bad);
    EXPECT_FALSE(in.Int(n)) << bad;
  }
}

}  // namespace
}  // namespace tributary
