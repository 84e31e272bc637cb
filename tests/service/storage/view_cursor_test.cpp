#include "service/storage/view_cursor.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tributary::storage {
namespace {

bool IsUrlSafe(const std::string& s) {
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

TEST(StorageViewCursor, RoundTripsKeys) {
  // Lengths around multiples of 3 exercise every base64 tail.
  const std::vector<std::string> keys = {"",
                                         "a",
                                         "ab",
                                         "abc",
                                         "abcd",
                                         "Dune",
                                         R"(["Dune","1965"])",
                                         "quote \" and \\ backslash",
                                         "caf\xc3\xa9",
                                         "\xe6\x97\xa5\xe6\x9c\xac",
                                         "\xf0\x9f\xa6\x80 crab",
                                         "a/b?c=d&e#f",
                                         "~~~~"};
  for (const auto& key : keys) {
    const std::string cursor = EncodeViewCursor(key);
    EXPECT_FALSE(cursor.empty());
    EXPECT_TRUE(IsUrlSafe(cursor)) << cursor;
    const auto back = DecodeViewCursor(cursor);
    ASSERT_TRUE(back.has_value()) << key;
    EXPECT_EQ(*back, key);
  }
}

TEST(StorageViewCursor, IsBase64UrlOfVersionedJson) {
  // {"after":"a","v":1} (nlohmann sorts object keys)
  EXPECT_EQ(EncodeViewCursor("a"), "eyJhZnRlciI6ImEiLCJ2IjoxfQ");
  EXPECT_EQ(DecodeViewCursor("eyJhZnRlciI6ImEiLCJ2IjoxfQ"), "a");
}

TEST(StorageViewCursor, RejectsWhatItDidNotWrite) {
  const std::vector<std::string> bad = {
      "",
      "!!!!",
      "eyJhZnRlciI6ImEiLCJ2IjoxfQ==",  // padding is never written
      "eyJhZnRlciI6ImEiLCJ2IjoxfQ+",   // standard base64 alphabet
      "a",                             // impossible length
      "bm90IGpzb24",                   // "not json"
      "WzEsMiwzXQ",                    // [1,2,3]
      "eyJ2IjoyLCJhZnRlciI6ImEifQ",    // {"v":2,"after":"a"}
      "eyJ2IjoxfQ",                    // {"v":1}
      "eyJ2IjoxLCJhZnRlciI6M30",       // {"v":1,"after":3}
      "eyJ2IjoiMSIsImFmdGVyIjoiYSJ9",  // {"v":"1","after":"a"}
      std::string(20000, 'A'),
  };
  for (const auto& cursor : bad) {
    EXPECT_FALSE(DecodeViewCursor(cursor).has_value()) << cursor.substr(0, 40);
  }
}

}  // namespace
}  // namespace tributary::storage
