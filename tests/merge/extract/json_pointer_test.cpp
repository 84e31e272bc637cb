#include "merge/extract/json_pointer.hpp"

#include <gtest/gtest.h>

namespace tributary::merge::extract {
namespace {

// RFC 6901 section 5.
const nlohmann::json kRfcDocument = nlohmann::json::parse(R"({
  "foo": ["bar", "baz"],
  "": 0,
  "a/b": 1,
  "c%d": 2,
  "e^f": 3,
  "g|h": 4,
  "i\\j": 5,
  "k\"l": 6,
  " ": 7,
  "m~n": 8
})");

const nlohmann::json* Resolve(std::string_view pointer, const nlohmann::json& doc = kRfcDocument) {
  auto parsed = JsonPointer::Parse(pointer);
  EXPECT_TRUE(parsed.ok()) << pointer;
  return parsed ? parsed->Resolve(doc) : nullptr;
}

TEST(JsonPointerTest, Rfc6901Examples) {
  ASSERT_NE(Resolve(""), nullptr);
  EXPECT_EQ(*Resolve(""), kRfcDocument);
  EXPECT_EQ(*Resolve("/foo"), nlohmann::json({"bar", "baz"}));
  EXPECT_EQ(*Resolve("/foo/0"), "bar");
  EXPECT_EQ(*Resolve("/"), 0);
  EXPECT_EQ(*Resolve("/a~1b"), 1);
  EXPECT_EQ(*Resolve("/c%d"), 2);
  EXPECT_EQ(*Resolve("/e^f"), 3);
  EXPECT_EQ(*Resolve("/g|h"), 4);
  EXPECT_EQ(*Resolve("/i\\j"), 5);
  EXPECT_EQ(*Resolve("/k\"l"), 6);
  EXPECT_EQ(*Resolve("/ "), 7);
  EXPECT_EQ(*Resolve("/m~0n"), 8);
}

TEST(JsonPointerTest, UnescapesInOrder) {
  // "~01" is "~1" (a literal), not "/": ~0 is decoded last.
  auto parsed = JsonPointer::Parse("/~01/a~1b~0");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->tokens(), (std::vector<std::string>{"~1", "a/b~"}));
  EXPECT_EQ(*Resolve("/~01", nlohmann::json{{"~1", true}}), true);
}

TEST(JsonPointerTest, MissingValues) {
  EXPECT_EQ(Resolve("/foo/2"), nullptr);
  EXPECT_EQ(Resolve("/foo/-"), nullptr);
  EXPECT_EQ(Resolve("/foo/01"), nullptr) << "no leading zeros";
  EXPECT_EQ(Resolve("/foo/+1"), nullptr);
  EXPECT_EQ(Resolve("/foo/bar"), nullptr);
  EXPECT_EQ(Resolve("/nope"), nullptr);
  EXPECT_EQ(Resolve("/foo/0/deeper"), nullptr);
  EXPECT_EQ(Resolve("//"), nullptr);
}

TEST(JsonPointerTest, NestedPaths) {
  const auto doc = nlohmann::json::parse(R"({"a": {"b": [{"c": 1}, {"c": 2}]}, "n": null})");
  EXPECT_EQ(*Resolve("/a/b/1/c", doc), 2);
  ASSERT_NE(Resolve("/n", doc), nullptr);
  EXPECT_TRUE(Resolve("/n", doc)->is_null());
}

TEST(JsonPointerTest, SyntaxErrors) {
  auto error = [](std::string_view p) {
    auto parsed = JsonPointer::Parse(p);
    return parsed ? std::string("parsed") : parsed.error().message;
  };
  EXPECT_EQ(error("title"), "a JSON Pointer must be empty or start with \"/\": \"title\"");
  EXPECT_EQ(error("#/a"), "a JSON Pointer must be empty or start with \"/\": \"#/a\"");
  EXPECT_EQ(error("/a~2"),
            "invalid escape \"~2\" at position 3 in \"/a~2\" (use ~0 for \"~\" and ~1 for \"/\")");
  EXPECT_EQ(error("/a~"),
            "invalid escape \"~\" at position 3 in \"/a~\" (use ~0 for \"~\" and ~1 for \"/\")");
  EXPECT_EQ(error("/~a"),
            "invalid escape \"~a\" at position 2 in \"/~a\" (use ~0 for \"~\" and ~1 for \"/\")");
}

}  // namespace
}  // namespace tributary::merge::extract
