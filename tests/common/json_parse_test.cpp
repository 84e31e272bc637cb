// ParseJson gives exactly what nlohmann::json::parse gives — the same values of the same types,
// and a refusal of the same texts — over hand-picked edge cases, the corpus's JSON files,
// damaged copies of them, and generated values.
#include "common/json_parse.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "tests/merge/extract/corpus.hpp"

namespace tributary {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Equal values of equal types (nlohmann's == calls 1 and 1u and 1.0 equal); floats bit for bit.
bool Same(const json& a, const json& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case json::value_t::object: {
      if (a.size() != b.size()) return false;
      for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
        if (i.key() != j.key() || !Same(*i, *j)) return false;
      }
      return true;
    }
    case json::value_t::array: {
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        if (!Same(a[i], b[i])) return false;
      }
      return true;
    }
    case json::value_t::number_float: {
      const double x = a.get<double>();
      const double y = b.get<double>();
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    default:
      return a == b;
  }
}

// Both parsers agree on `text`; returns whether it parsed.
bool Agrees(const std::string& text) {
  const json expected = json::parse(text, nullptr, /*allow_exceptions=*/false);
  json got;
  std::string error;
  const bool parsed = ParseJson(text, got, &error);
  const bool valid = !expected.is_discarded();
  EXPECT_EQ(parsed, valid) << "text: " << text.substr(0, 200) << "\nerror: " << error;
  // Validation alone takes and refuses the same texts, for the same reason.
  std::string validate_error;
  EXPECT_EQ(ValidateJson(text, &validate_error), valid) << "text: " << text.substr(0, 200);
  EXPECT_EQ(validate_error, error) << "text: " << text.substr(0, 200);
  if (parsed && valid) {
    EXPECT_TRUE(Same(got, expected))
        << "text: " << text.substr(0, 200) << "\ngot:      " << got.dump().substr(0, 200)
        << "\nexpected: " << expected.dump().substr(0, 200);
  }
  if (!parsed) {
    EXPECT_FALSE(error.empty());
  }
  return parsed;
}

TEST(ParseJson, AgreesWithNlohmannOnEdgeCases) {
  // clang-format off
  const std::vector<std::string> valid = {
      "0", "-0", "1", "-1", "0.0", "-0.0", "1e2", "1E+2", "1e-2", "-1.5e-3", "123456789",
      "9223372036854775807", "-9223372036854775808", "-9223372036854775809",
      "18446744073709551615", "18446744073709551616", "1e308", "1e-400", "4.9e-324",
      "0.1", "2.2250738585072014e-308", "123456789012345678901234567890",
      "true", "false", "null", "\"\"", "\"plain\"", "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"",
      "\"\\u0000\"", "\"\\u00e9\\u00E9\"", "\"\\u20ac\"", "\"\\ud83d\\ude00\"",
      "\"\\uD83D\\uDE00\"",
      "\"é € 😀\"", "\"\x7f\"", "\"\xc2\x80\"", "\"\xdf\xbf\"", "\"\xe0\xa0\x80\"",
      "\"\xed\x9f\xbf\"", "\"\xee\x80\x80\"", "\"\xf0\x90\x80\x80\"", "\"\xf4\x8f\xbf\xbf\"",
      "[]", "{}", "[ ]", "{ }", " \t\r\n[1 , 2 ,\n3] \n", "{\"a\":1,\"a\":2}",
      "{\"b\":{\"a\":[1,{\"c\":null}]},\"a\":\"x\"}", "[[[[[]]]]]", "[{}, [], \"\", 0]",
      "\xef\xbb\xbf{\"bom\":true}", "{\"\":\"\"}", "{\"a\\u0000b\":1}",
      // Where std::from_chars hands over to strtod (out of range), and the edges of double.
      "2.4703282292062328e-324", "2.4703282292062327e-324", "-1e-400", "1e-99999999999999999999",
      "0e99999999999999999999", "1.7976931348623158e308", "-1.7976931348623158e308",
      std::string(300, '7'), "-" + std::string(300, '7'), "0." + std::string(400, '3'),
      // nlohmann's lexer reads a NUL byte as the end of the text.
      std::string("[1] \0 x", 7), std::string("12\0" "3", 4),
  };
  for (const auto& text : valid) EXPECT_TRUE(Agrees(text)) << text;
  const std::vector<std::string> invalid = {
      "", " ", "-", "+1", "01", "-01", "1.", ".1", "1e", "1e+", "0x10", "1e400", "-1e400",
      "1.7976931348623159e308", "1e99999999999999999999", "-" + std::string(400, '7') + "e400",
      std::string(400, '7'), "-" + std::string(400, '7'),  // above the largest double
      "NaN", "Infinity", "tru", "truee", "nul", "True", "\"", "\"abc", "\"\\\"", "\"\\x\"",
      "\"\\u12\"", "\"\\u12g4\"", "\"\\ud800\"", "\"\\ud800x\"", "\"\\ud800\\u0041\"",
      "\"\\udc00\"", "\"\t\"", "\"\n\"", std::string("\"\0\"", 3), "\"\x80\"", "\"\xc0\xaf\"",
      "\"\xc1\xbf\"", "\"\xc2\"", "\"\xc2\x7f\"", "\"\xe0\x80\x80\"", "\"\xed\xa0\x80\"",
      "\"\xf0\x80\x80\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xf5\x80\x80\x80\"", "\"\xff\"",
      "[", "]", "[1", "[1,", "[1,]", "[,1]", "[1 2]", "{", "{\"a\"", "{\"a\":", "{\"a\":1,}",
      "{a:1}", "{\"a\" 1}", "{1:1}", "{\"a\":1 \"b\":2}", "[1]]", "{}}", "1 2", "[] x",
      "// c\n1", "/* c */ 1", "\xef\xbb", "\xef\xbb\xbf", "'a'", std::string("[1,\0]", 5),
      std::string("\0", 1),
  };
  // clang-format on
  for (const auto& text : invalid) EXPECT_FALSE(Agrees(text)) << text;
}

TEST(ParseJson, SaysWhereAndWhy) {
  json out;
  std::string error;
  EXPECT_FALSE(ParseJson("{\"a\": [1, 2,]}", out, &error));
  EXPECT_EQ(error, "byte 12: invalid value");
  EXPECT_FALSE(ParseJson("[\"ok\", \"cut", out, &error));
  EXPECT_EQ(error, "byte 11: unterminated string");
  EXPECT_FALSE(ParseJson("{\"a\":1} {", out, &error));
  EXPECT_EQ(error, "byte 8: text after the JSON value");
}

TEST(ParseJson, DeepNestingCostsNoStack) {
  const size_t depth = 200000;
  const std::string text = std::string(depth, '[') + std::string(depth, ']');
  json out;
  ASSERT_TRUE(ParseJson(text, out));
  size_t seen = 0;
  for (const json* j = &out; !j->empty(); j = &(*j)[0]) ++seen;
  EXPECT_EQ(seen, depth - 1);
  EXPECT_FALSE(ParseJson(std::string(depth, '['), out));
  EXPECT_TRUE(ValidateJson(text));
  EXPECT_FALSE(ValidateJson(std::string(depth, '[')));
}

// Random values of every kind, dumped both as UTF-8 and as ASCII with \u escapes.
json RandomValue(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 3 ? 6 : 8);
  auto text = [&rng] {
    static const std::vector<std::string> pieces = {"a",
                                                    "Z",
                                                    " ",
                                                    "\"",
                                                    "\\",
                                                    "/",
                                                    "\n",
                                                    "\t",
                                                    std::string("\0", 1),
                                                    "\x1f",
                                                    "\x7f",
                                                    "é",
                                                    "€",
                                                    "😀",
                                                    "東京",
                                                    "\xef\xbf\xbd",
                                                    "\xf4\x8f\xbf\xbf"};
    std::string s;
    for (int n = std::uniform_int_distribution<int>(0, 8)(rng); n > 0; --n) {
      s += pieces[std::uniform_int_distribution<size_t>(0, pieces.size() - 1)(rng)];
    }
    return s;
  };
  switch (kind(rng)) {
    case 0:
      return nullptr;
    case 1:
      return std::uniform_int_distribution<int>(0, 1)(rng) == 1;
    case 2:
      return std::uniform_int_distribution<int64_t>(INT64_MIN, INT64_MAX)(rng);
    case 3:
      return std::uniform_int_distribution<uint64_t>(0, UINT64_MAX)(rng);
    case 4: {
      const uint64_t bits = std::uniform_int_distribution<uint64_t>(0, UINT64_MAX)(rng);
      double d = 0;
      std::memcpy(&d, &bits, sizeof d);
      return std::isfinite(d) ? json(d)
                              : json(std::uniform_real_distribution<double>(-1e6, 1e6)(rng));
    }
    case 5:
      return std::uniform_int_distribution<int>(-1000, 1000)(rng);
    case 6:
      return text();
    case 7: {
      json a = json::array();
      for (int n = std::uniform_int_distribution<int>(0, 5)(rng); n > 0; --n) {
        a.push_back(RandomValue(rng, depth + 1));
      }
      return a;
    }
    default: {
      json o = json::object();
      for (int n = std::uniform_int_distribution<int>(0, 5)(rng); n > 0; --n) {
        o[text()] = RandomValue(rng, depth + 1);
      }
      return o;
    }
  }
}

TEST(ParseJson, AgreesWithNlohmannOnGeneratedValues) {
  std::mt19937 rng(20261203);
  for (int i = 0; i < 3000; ++i) {
    const json value = RandomValue(rng, 0);
    for (const bool ascii : {false, true}) {
      const std::string text = value.dump(-1, ' ', ascii);
      ASSERT_TRUE(Agrees(text));
      ASSERT_TRUE(Agrees(value.dump(2, ' ', ascii)));
    }
  }
}

// Every prefix of a text, and copies with one byte replaced, agree too (most are refused).
void DamagedCopiesAgree(const std::string& text, std::mt19937& rng, size_t count) {
  static const char kBytes[] = {'"', '\\', '{',  '}', '[', ']', ',',    ':',    '0',    '-',   'e',
                                '.', ' ',  '\n', 't', 'n', 'u', '\x00', '\x80', '\xc3', '\xff'};
  std::uniform_int_distribution<size_t> at(0, text.empty() ? 0 : text.size() - 1);
  std::uniform_int_distribution<size_t> byte(0, sizeof kBytes - 1);
  for (size_t i = 0; i < count && !text.empty(); ++i) {
    Agrees(text.substr(0, at(rng)));
    std::string damaged = text;
    damaged[at(rng)] = kBytes[byte(rng)];
    Agrees(damaged);
  }
}

TEST(ParseJson, AgreesWithNlohmannOnDamagedGeneratedValues) {
  std::mt19937 rng(7);
  for (int i = 0; i < 4000; ++i) {
    const json value = RandomValue(rng, 0);
    DamagedCopiesAgree(value.dump(), rng, 20);
    DamagedCopiesAgree(value.dump(-1, ' ', true), rng, 20);
  }
}

TEST(ParseJson, AgreesWithNlohmannOnTheCorpusJsonFiles) {
  const fs::path corpus = merge::extract::testing::CorpusDir();
  if (corpus.empty() || !fs::exists(corpus))
    GTEST_SKIP() << "corpus not found (set TRIBUTARY_CORPUS)";
  std::mt19937 rng(3);
  size_t files = 0;
  size_t parsed = 0;
  for (const auto& entry : fs::recursive_directory_iterator(corpus)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    const std::string text = merge::extract::testing::ReadFile(entry.path());
    ++files;
    if (Agrees(text)) ++parsed;
    DamagedCopiesAgree(text, rng, text.size() > (1 << 20) ? 3 : 30);
  }
  EXPECT_GT(files, 50u);
  EXPECT_GT(parsed, 40u);  // most are valid; a few are malformed on purpose (INVENTORY.md)
}

}  // namespace
}  // namespace tributary
