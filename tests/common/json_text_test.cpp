// JsonTextWriter writes what nlohmann's dump writes (the store's canonical JSON), and
// FindMember finds a member of an object's text, or says when it cannot be sure.
#include "common/json_text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tributary {
namespace {

using nlohmann::json;

std::string Written(const json& value) {
  std::string out;
  JsonTextWriter(out).Value(value);
  return out;
}

std::string WrittenString(const std::string& text) {
  std::string out;
  JsonTextWriter(out).String(text);
  return out;
}

TEST(JsonTextWriter, WritesTheBytesOfCanonicalJson) {
  const std::vector<std::string> strings = {
      "", "plain", "quote \" and \\ backslash", "tab\tnew\nline\r", std::string("nul\0x", 5),
      "\x01\x1f control", "Türkiye · 東京", "bad \xff\xfe utf-8", "cut \xe2\x82", "\x7f del"};
  for (const auto& s : strings) {
    EXPECT_EQ(WrittenString(s), CanonicalJson(json(s))) << s;
    EXPECT_EQ(Written(json(s)), CanonicalJson(json(s))) << s;
  }
  for (const json& v : {json(nullptr), json(true), json(12), json(-3), json(1.5), json(10.0),
                        json(1e300), json(0.1), json::array({1, "a", nullptr}),
                        json{{"b", 1}, {"a", {{"z", "\xff"}}}}}) {
    EXPECT_EQ(Written(v), CanonicalJson(v)) << v.dump();
  }
  std::string out;
  JsonTextWriter w(out);
  w.Char('{');
  w.Name("n\"ame");
  w.Raw("1");
  w.Char('}');
  EXPECT_EQ(out, CanonicalJson(json{{"n\"ame", 1}}));
}

TEST(FindMember, FindsTopLevelMembersOnly) {
  const std::string text =
      R"({"a":"x,}\"y","b":{"c":1,"d":[1,{"e":"}"}]},"c":-1.5e3,"d":null,"e":[]})";
  std::string_view value;
  ASSERT_EQ(FindMember(text, "a", value), MemberScan::kFound);
  EXPECT_EQ(value, R"("x,}\"y")");
  ASSERT_EQ(FindMember(text, "b", value), MemberScan::kFound);
  EXPECT_EQ(value, R"({"c":1,"d":[1,{"e":"}"}]})");
  ASSERT_EQ(FindMember(text, "c", value), MemberScan::kFound);
  EXPECT_EQ(value, "-1.5e3");  // the top-level c, not b's
  ASSERT_EQ(FindMember(text, "d", value), MemberScan::kFound);
  EXPECT_EQ(value, "null");
  ASSERT_EQ(FindMember(text, "e", value), MemberScan::kFound);
  EXPECT_EQ(value, "[]");
  EXPECT_EQ(FindMember(text, "x", value), MemberScan::kMissing);
  EXPECT_EQ(FindMember("{}", "x", value), MemberScan::kMissing);
  EXPECT_EQ(FindMember(R"( { "a" : 1 , "b" : "2" } )", "b", value), MemberScan::kFound);
  EXPECT_EQ(value, R"("2")");
}

TEST(FindMember, IsUnsureRatherThanWrong) {
  std::string_view value;
  // A name with an escape might spell the one asked for: the caller must parse.
  EXPECT_EQ(FindMember(R"({"\u0061":1})", "a", value), MemberScan::kUnsure);
  for (const char* bad : {"", "[]", "null", "{", R"({"a")", R"({"a":)", R"({"a":"x)",
                          R"({"a":1 "b":2})", R"({"a":[1,2})", R"({a:1})"}) {
    EXPECT_EQ(FindMember(bad, "b", value), MemberScan::kUnsure) << bad;
  }
}

// Every member in order, each value's text as it is written; the same verdicts as FindMember.
TEST(MemberReader, ReadsEachTopLevelMemberInOrder) {
  const auto members = [](std::string_view text) {
    MemberReader reader(text);
    std::vector<std::string> out;
    std::string_view name, value;
    MemberScan scan;
    while ((scan = reader.Next(name, value)) == MemberScan::kFound) {
      out.push_back(std::string(name) + "=" + std::string(value));
    }
    if (scan == MemberScan::kUnsure) out.push_back("?");
    return out;
  };
  using List = std::vector<std::string>;
  EXPECT_EQ(members(R"({"a":1,"b":{"c":[1,"}"]},"d":"x,y","e":[]})"),
            (List{"a=1", R"(b={"c":[1,"}"]})", R"(d="x,y")", "e=[]"}));
  EXPECT_EQ(members(R"( { "a" : null , "b" : "" } )"), (List{"a=null", R"(b="")"}));
  EXPECT_EQ(members("{}"), List{});
  EXPECT_EQ(members(R"({"\u0061":1})"), List{"?"});
  EXPECT_EQ(members(R"({"a":1 "b":2})"), (List{"a=1", "?"}));
  EXPECT_EQ(members(R"({"a":1,)"), (List{"a=1", "?"}));
  EXPECT_EQ(members("[]"), List{"?"});
}

}  // namespace
}  // namespace tributary
