// PackedWriter/PackedReader: texts and integers round-trip, whatever bytes they hold, and a
// sequence cut short, or whose lengths run past its end, is refused.
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

TEST(PackedText, RefusesInputCutShortAndStaysFailed) {
  std::string packed;
  {
    PackedWriter out(packed);
    out.Text("abcdef");
    out.Int(-5);
  }
  ASSERT_EQ(packed.size(), 4u + 6 + 8);
  // Cut anywhere, the piece cut is refused, and nothing is read after it.
  for (size_t cut = 0; cut < packed.size(); ++cut) {
    PackedReader in(std::string_view(packed).substr(0, cut));
    std::string_view text;
    int64_t n = 0;
    const bool text_read = in.Text(text);
    EXPECT_EQ(text_read, cut >= 10) << cut;
    EXPECT_FALSE(in.Int(n)) << cut;
    EXPECT_TRUE(in.failed()) << cut;
    EXPECT_FALSE(in.Text(text)) << cut;
  }
  // A length past the end of the input.
  PackedReader too_long(
      std::string_view("\x10\x00\x00\x00"
                       "abc",
                       7));
  std::string_view text;
  EXPECT_FALSE(too_long.Text(text));
  EXPECT_TRUE(too_long.failed());
}

}  // namespace
}  // namespace tributary
