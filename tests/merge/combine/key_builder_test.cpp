// View keys: renaming, normalisers, composite keys.
#include "merge/combine/key_builder.hpp"

#include <gtest/gtest.h>

#include "common/json_text.hpp"

#include "tests/merge/combine/combine_test_util.hpp"

namespace tributary::merge::combine {
namespace {

using nlohmann::json;
using test_util::View;

TEST(KeyBuilder, PlainKeyThroughRenaming) {
  KeyBuilder keys(View(R"({"id": "v", "key": "code",
      "sources": ["a", {"id": "b", "fields": {"code": "alpha-2"}}]})"));
  EXPECT_EQ(keys.KeyOf(0, json{{"code", "AF"}}), "AF");
  EXPECT_EQ(keys.KeyOf(1, json{{"alpha-2", "AF"}, {"code", "ignored"}}), "AF");
  EXPECT_EQ(keys.KeyOf(1, json{{"code", "AF"}}), std::nullopt);  // b's key is its alpha-2
  EXPECT_EQ(keys.KeyOf(0, json{{"code", nullptr}}), std::nullopt);
  EXPECT_EQ(keys.KeyOf(0, json{{"code", ""}}), std::nullopt);
  EXPECT_EQ(keys.KeyOf(0, json{{"code", 4}}), "4");
}

TEST(KeyBuilder, NormalisersRunInOrder) {
  KeyBuilder keys(View(R"({"id": "v", "key": "code", "sources": ["a"],
      "normalize": ["trim", "casefold", "unaccent"]})"));
  EXPECT_EQ(keys.KeyOf(0, json{{"code", "  Côte D'IVOIRE "}}), "cote d'ivoire");

  KeyBuilder numeric(View(R"({"id": "v", "key": "n", "sources": ["a"],
      "normalize": {"n": ["digits", "strip_zeros"]}})"));
  EXPECT_EQ(numeric.KeyOf(0, json{{"n", "004"}}), "4");
  EXPECT_EQ(numeric.KeyOf(0, json{{"n", 4}}), "4");
  EXPECT_EQ(numeric.KeyOf(0, json{{"n", "No. 0042"}}), "42");
  EXPECT_EQ(numeric.KeyOf(0, json{{"n", "000"}}), "0");
  EXPECT_EQ(numeric.KeyOf(0, json{{"n", "none"}}), std::nullopt);  // no digits: no key
}

TEST(KeyBuilder, NfkcMakesFullWidthMatch) {
  KeyBuilder keys(View(R"({"id": "v", "key": "n", "sources": ["a"], "normalize": ["nfkc"]})"));
  EXPECT_EQ(keys.KeyOf(0, json{{"n", "ＡＢ１２"}}), "AB12");
}

TEST(KeyBuilder, RegexCaptureAndMap) {
  KeyBuilder keys(View(R"({"id": "v", "key": "url", "sources": ["a"],
      "normalize": [{"regex": "_(\\d+)/index\\.html"}, {"map": {"1000": "one-thousand"}}]})"));
  EXPECT_EQ(keys.KeyOf(0, json{{"url", "catalogue/page-2.htmlin-her-wake_980/index.html"}}), "980");
  EXPECT_EQ(keys.KeyOf(0, json{{"url", "x_1000/index.html"}}), "one-thousand");
  EXPECT_EQ(keys.KeyOf(0, json{{"url", "no id here"}}), std::nullopt);

  KeyBuilder whole(View(R"({"id": "v", "key": "c", "sources": ["a"],
      "normalize": [{"regex": "[A-Z]{2}"}, {"map": {"UK": "GB"}}]})"));
  EXPECT_EQ(whole.KeyOf(0, json{{"c", "code: UK."}}), "GB");
}

TEST(KeyBuilder, CompositeKeysSeparateSameTitles) {
  KeyBuilder keys(View(R"({"id": "v", "key": ["title", "year"], "sources": ["a"],
      "normalize": {"title": ["collapse_space", "casefold"]}})"));
  const auto a = keys.KeyOf(0, json{{"title", "The  Star-Touched Queen"}, {"year", 2016}});
  const auto b = keys.KeyOf(0, json{{"title", "the star-touched queen"}, {"year", 2017}});
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(*a, R"(["the star-touched queen","2016"])");
  EXPECT_EQ(keys.KeyOf(0, json{{"title", "x"}}), std::nullopt);  // a part missing: no key
}

TEST(KeyBuilder, InvalidConfigurationIsRejectedWithPaths) {
  std::vector<config::ConfigError> errors;
  auto view = config::ParseView(json::parse(R"({"id": "v", "sources": ["a"], "key": "k",
      "normalize": ["trim", "lowercase", {"regex": "("}, {"map": {"a": 1}}, {"x": 1}],
      "join": "full", "fields": {"p": {"strategy": "median", "compare": {"mode": "fuzzy",
      "tolerance": -1}}}})"),
                                "views[0]", errors);
  EXPECT_FALSE(view);
  std::vector<std::string> messages;
  for (const auto& e : errors) messages.push_back(e.ToString());
  const std::string all = ::testing::PrintToString(messages);
  EXPECT_NE(all.find("views[0].normalize[1]: unknown normaliser \\\"lowercase\\\""),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("views[0].normalize[2].regex: invalid regular expression"), std::string::npos)
      << all;
  EXPECT_NE(all.find("views[0].normalize[3].map.a: expected a string"), std::string::npos) << all;
  EXPECT_NE(all.find("views[0].normalize[4].x: unknown key"), std::string::npos) << all;
  EXPECT_NE(all.find("views[0].join: unknown join \\\"full\\\""), std::string::npos) << all;
  EXPECT_NE(all.find("views[0].fields.p.strategy: unknown strategy \\\"median\\\""),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("views[0].fields.p.compare.mode: unknown compare mode \\\"fuzzy\\\""),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("views[0].fields.p.compare.tolerance: must be a number of at least 0"),
            std::string::npos)
      << all;
}

TEST(KeyBuilder, KeysFromTextsAreTheKeysFromTrees) {
  // The text path (a stored record's text, read for its key fields only; a plain one-field key
  // taken straight from its quotes) against the tree path, on values of every kind.
  const std::vector<json> values = {nullptr,
                                    "",
                                    "AF",
                                    "A\"F",
                                    "caf\u00e9",
                                    " x ",
                                    4,
                                    -0.5,
                                    true,
                                    json::array({1}),
                                    json::object({{"k", 1}}),
                                    "004"};
  const std::vector<std::string> views = {
      R"({"id": "v", "key": "code", "sources": ["a", {"id": "b", "fields": {"code": "alpha"}}]})",
      R"({"id": "v", "key": "code", "sources": ["a", "b"], "normalize": ["trim", "strip_zeros"]})",
      R"({"id": "v", "key": ["code", "n"], "sources": ["a", "b"]})"};
  for (const auto& definition : views) {
    KeyBuilder keys(View(definition));
    for (size_t source = 0; source < 2; ++source) {
      for (const auto& code : values) {
        for (const char* name : {"code", "alpha"}) {
          json fields = {{name, code}, {"n", 7}, {"other", "x"}};
          const std::string text = CanonicalJson(fields);
          EXPECT_EQ(keys.KeyOfText(source, text), keys.KeyOf(source, fields))
              << definition << " " << source << " " << text;
        }
        EXPECT_EQ(keys.KeyOfText(source, "{}"), keys.KeyOf(source, json::object()));
      }
    }
  }
}

}  // namespace
}  // namespace tributary::merge::combine
