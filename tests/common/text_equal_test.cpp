// TextEqual: the same answer as ==, for every length around its eight-byte steps and a
// difference at every position.
#include "common/text_equal.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tributary {
namespace {

TEST(TextEqual, AgreesWithEqualityAtEveryLengthAndPosition) {
  for (size_t n = 0; n <= 40; ++n) {
    std::string a(n, 'k');
    for (size_t i = 0; i < n; ++i) a[i] = static_cast<char>('a' + i % 26);
    const std::string same = a;  // another buffer
    EXPECT_TRUE(TextEqual(a, same)) << n;
    for (size_t at = 0; at < n; ++at) {
      std::string other = a;
      other[at] = static_cast<char>(other[at] ^ 0x80);
      EXPECT_FALSE(TextEqual(a, other)) << n << " at " << at;
    }
    EXPECT_FALSE(TextEqual(a, a + "x")) << n;
    EXPECT_FALSE(TextEqual(a + "x", a)) << n;
  }
  EXPECT_TRUE(TextEqual("", ""));
  // Bytes that are not text, and a zero byte inside.
  EXPECT_TRUE(TextEqual(std::string("a\0b\xff", 4), std::string("a\0b\xff", 4)));
  EXPECT_FALSE(TextEqual(std::string("a\0b", 3), std::string("a\0c", 3)));
}

}  // namespace
}  // namespace tributary
