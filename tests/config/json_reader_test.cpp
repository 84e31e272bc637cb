// The reader's helpers: paths, quoting, did-you-mean, and the typed reads' messages.
#include "config/json_reader.hpp"

#include <gtest/gtest.h>

namespace tributary::config {
namespace {

using nlohmann::json;

TEST(ConfigJsonReader, JoinsPaths) {
  EXPECT_EQ(JoinKey("", "fetch"), "fetch");
  EXPECT_EQ(JoinKey("fetch", "timeout"), "fetch.timeout");
  EXPECT_EQ(JoinKey(JoinIndex("sources", 2), "fields"), "sources[2].fields");
  EXPECT_EQ(JoinKey("sources[0].headers", "Content-Type"), "sources[0].headers.Content-Type");
  EXPECT_EQ(JoinKey("sources[0].fields", "unit price"), "sources[0].fields[\"unit price\"]");
  EXPECT_EQ(JoinKey("sources[0].fields", "a.b"), "sources[0].fields[\"a.b\"]");
  EXPECT_EQ(JoinKey("sources[0].fields", ""), "sources[0].fields[\"\"]");
}

TEST(ConfigJsonReader, NamesJsonTypes) {
  EXPECT_STREQ(JsonTypeName(json(nullptr)), "null");
  EXPECT_STREQ(JsonTypeName(json(true)), "boolean");
  EXPECT_STREQ(JsonTypeName(json(3)), "integer");
  EXPECT_STREQ(JsonTypeName(json(3u)), "integer");
  EXPECT_STREQ(JsonTypeName(json(2.5)), "number");
  EXPECT_STREQ(JsonTypeName(json("x")), "string");
  EXPECT_STREQ(JsonTypeName(json::array()), "array");
  EXPECT_STREQ(JsonTypeName(json::object()), "object");
}

TEST(ConfigJsonReader, QuotesEscapedAndShortened) {
  EXPECT_EQ(Quote("abc"), "\"abc\"");
  EXPECT_EQ(Quote("a\"b\nc"), "\"a\\\"b\\nc\"");
  const std::string long_text(200, 'x');
  const std::string quoted = Quote(long_text);
  EXPECT_EQ(quoted, "\"" + std::string(77, 'x') + "...\"");
  // A cut never splits a UTF-8 sequence ("é" is two bytes).
  std::string accents;
  for (int i = 0; i < 60; ++i) accents += "\xC3\xA9";
  EXPECT_NO_THROW(json::parse(Quote(accents)));
  EXPECT_EQ(Quote("\xFF").size(), 5u);  // invalid UTF-8 is replaced, not thrown on
}

TEST(ConfigJsonReader, EditDistanceCountsTranspositionsOnce) {
  EXPECT_EQ(EditDistance("every", "every"), 0u);
  EXPECT_EQ(EditDistance("evry", "every"), 1u);
  EXPECT_EQ(EditDistance("titel", "title"), 1u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(ConfigJsonReader, ClosestMatchOnlySuggestsLikelyTypos) {
  const std::vector<std::string> keys = {"id", "url", "every", "format", "fields"};
  EXPECT_EQ(ClosestMatch("evry", keys), "every");
  EXPECT_EQ(ClosestMatch("fromat", keys), "format");
  EXPECT_EQ(ClosestMatch("URL", keys), "url");
  EXPECT_EQ(ClosestMatch("feilds", keys), "fields");
  EXPECT_FALSE(ClosestMatch("zzzzzz", keys).has_value());
  EXPECT_FALSE(ClosestMatch("x", keys).has_value());
  EXPECT_FALSE(ClosestMatch("every", {}).has_value());
}

TEST(ConfigJsonReader, SuggestListsWhenNothingIsClose) {
  EXPECT_EQ(Suggest("evry", {"every", "url"}, "expected one of"), "; did you mean \"every\"?");
  EXPECT_EQ(Suggest("zzzz", {"every", "url"}, "expected one of"), "; expected one of every, url");
  EXPECT_EQ(Suggest("zzzz", {}, "expected one of"), "");
}

TEST(ConfigJsonReader, TypedReadsReportPathAndType) {
  std::vector<ConfigError> errors;
  JsonReader r(errors);
  EXPECT_FALSE(r.Integer(json("2"), "fetch.io_threads", 1, 64));
  EXPECT_FALSE(r.Integer(json(2.5), "fetch.io_threads", 1, 64));
  EXPECT_FALSE(r.Integer(json(65), "fetch.io_threads", 1, 64));
  EXPECT_FALSE(r.Integer(json(18446744073709551615ull), "fetch.io_threads", 1, 64));
  EXPECT_EQ(r.Integer(json(64), "fetch.io_threads", 1, 64), 64);
  EXPECT_FALSE(r.Bool(json("yes"), "fetch.allow_private_networks"));
  EXPECT_FALSE(r.String(json(1), "data_dir"));
  EXPECT_FALSE(r.NonEmptyString(json(""), "data_dir"));
  ASSERT_EQ(errors.size(), 7u);
  EXPECT_EQ(errors[0].ToString(), "fetch.io_threads: expected an integer, got string");
  EXPECT_EQ(errors[1].ToString(), "fetch.io_threads: expected an integer, got number");
  EXPECT_EQ(errors[2].ToString(), "fetch.io_threads: must be between 1 and 64, got 65");
  EXPECT_EQ(errors[3].ToString(),
            "fetch.io_threads: must be between 1 and 64, got 18446744073709551615");
  EXPECT_EQ(errors[4].ToString(), "fetch.allow_private_networks: expected a boolean, got string");
  EXPECT_EQ(errors[5].ToString(), "data_dir: expected a string, got integer");
  EXPECT_EQ(errors[6].ToString(), "data_dir: must not be empty");
}

TEST(ConfigJsonReader, StringListAcceptsOneOrMany) {
  std::vector<ConfigError> errors;
  JsonReader r(errors);
  EXPECT_EQ(r.StringList(json("title"), "key"), std::vector<std::string>{"title"});
  EXPECT_EQ(r.StringList(json::array({"a", "b"}), "key"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(errors.empty());
  EXPECT_FALSE(r.StringList(json::array(), "key"));
  EXPECT_FALSE(r.StringList(json::array({"a", "a"}), "key"));
  EXPECT_FALSE(r.StringList(json::array({"a", 1}), "key"));
  EXPECT_FALSE(r.StringList(json(true), "key"));
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0].ToString(), "key: must name at least one field");
  EXPECT_EQ(errors[1].ToString(), "key[1]: \"a\" is listed twice");
  EXPECT_EQ(errors[2].ToString(), "key[1]: expected a string, got integer");
  EXPECT_EQ(errors[3].ToString(), "key: expected a string or an array of strings, got boolean");
}

TEST(ConfigJsonReader, ShownPrefersTheTextBeforeSubstitution) {
  std::vector<ConfigError> errors;
  RawStrings raw = {{"fetch.timeout", "${TIMEOUT}"}};
  JsonReader r(errors, &raw);
  EXPECT_EQ(r.Shown("fetch.timeout", "hunter2"), "\"${TIMEOUT}\"");
  EXPECT_EQ(r.Shown("fetch.connect_timeout", "5s"), "\"5s\"");
}

}  // namespace
}  // namespace tributary::config
