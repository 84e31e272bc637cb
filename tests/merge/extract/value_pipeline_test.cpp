#include "merge/extract/value_pipeline.hpp"

#include <gtest/gtest.h>

#include "merge/extract/date_parser.hpp"
#include "merge/extract/number_parser.hpp"
#include "merge/extract/text_util.hpp"
#include "merge/extract/url_resolver.hpp"

namespace tributary::merge::extract {
namespace {

using config::ValueType;

constexpr std::string_view kBooksBase = "http://books.toscrape.com/catalogue/page-2.html";

// The converted value, or "<none>" / "<invalid>".
nlohmann::json Convert(ValueType type, const nlohmann::json& raw, std::string regex = "",
                       bool trim = true, std::string_view base = kBooksBase) {
  config::FieldSpec field;
  field.name = "f";
  field.type = type;
  field.regex = std::move(regex);
  field.trim = trim;
  auto pipeline = ValuePipeline::Compile(field);
  if (!pipeline) return "<compile error: " + pipeline.error().message + ">";
  const auto converted = pipeline->Apply(raw, base);
  switch (converted.outcome) {
    case ValuePipeline::Outcome::kValue:
      return converted.value;
    case ValuePipeline::Outcome::kNone:
      return "<none>";
    case ValuePipeline::Outcome::kInvalid:
      return "<invalid>";
  }
  return "<?>";
}

TEST(TextUtilTest, CollapsesAsciiAndUnicodeWhitespace) {
  EXPECT_EQ(CollapseWhitespace("  a \n\t b  "), "a b");
  EXPECT_EQ(CollapseWhitespace("\xC2\xA0"
                               "1\xE2\x80\xAF"
                               "234\xE3\x80\x80"),
            "1 234");
  EXPECT_EQ(CollapseWhitespace(""), "");
  EXPECT_EQ(CollapseWhitespace(" \n "), "");
  EXPECT_EQ(CollapseWhitespace("caf\xC3\xA9"), "caf\xC3\xA9");
}

TEST(ValuePipelineTest, StringsAreTrimmedAndCollapsed) {
  EXPECT_EQ(Convert(ValueType::kString, "  In stock \n\n  (22)  "), "In stock (22)");
  EXPECT_EQ(Convert(ValueType::kString, "  a  b ", "", /*trim=*/false), "  a  b ");
  EXPECT_EQ(Convert(ValueType::kString, "   "), "<none>");
  EXPECT_EQ(Convert(ValueType::kString, ""), "<none>");
  EXPECT_EQ(Convert(ValueType::kString, nullptr), "<none>");
  EXPECT_EQ(Convert(ValueType::kString, 12), "12");
  EXPECT_EQ(Convert(ValueType::kString, 1.5), "1.5");
  EXPECT_EQ(Convert(ValueType::kString, true), "true");
  EXPECT_EQ(Convert(ValueType::kString, nlohmann::json({"a", "b"})), nlohmann::json({"a", "b"}))
      << "arrays pass through";
}

TEST(ValuePipelineTest, Regex) {
  EXPECT_EQ(Convert(ValueType::kString, "Price: 12.50 USD", R"(([\d.]+))"), "12.50");
  EXPECT_EQ(Convert(ValueType::kString, "Price: 12.50 USD", R"([\d.]+ \w+)"), "12.50 USD")
      << "whole match without a group";
  EXPECT_EQ(Convert(ValueType::kString, "no digits", R"((\d+))"), "<none>") << "not invalid";
  EXPECT_EQ(Convert(ValueType::kString, "ab", R"(a(x)?b)"), "<none>") << "group not taking part";
  EXPECT_EQ(Convert(ValueType::kInteger, "In stock (22 available)", R"(\((\d+) available)"), 22);
  EXPECT_EQ(Convert(ValueType::kString, 12345, R"(^(\d\d))"), "12") << "numbers through regex";
  EXPECT_EQ(Convert(ValueType::kString, "x  (  a  )", R"(\((.*)\))"), "a");
  const auto bad = Convert(ValueType::kString, "x", "(a");
  EXPECT_EQ(bad, "<compile error: invalid regex \"(a\": missing ): (a>");
}

TEST(ValuePipelineTest, NumbersInCommonNotations) {
  EXPECT_EQ(Convert(ValueType::kNumber, "£51.77"), 51.77);
  EXPECT_EQ(Convert(ValueType::kNumber, "$1,234.56"), 1234.56);
  EXPECT_EQ(Convert(ValueType::kNumber, "1.234,56 €"), 1234.56);
  EXPECT_EQ(Convert(ValueType::kNumber, "12,5"), 12.5);
  EXPECT_EQ(Convert(ValueType::kNumber, "12,50 €"), 12.5);
  EXPECT_EQ(Convert(ValueType::kNumber, "0,125"), 0.125);
  EXPECT_EQ(Convert(ValueType::kNumber,
                    "1\xC2\xA0"
                    "234,56"),
            1234.56);
  EXPECT_EQ(Convert(ValueType::kNumber,
                    "1\xE2\x80\xAF"
                    "234\xE2\x80\xAF"
                    "567"),
            1234567);
  EXPECT_EQ(Convert(ValueType::kNumber, "1'234.50 CHF"), 1234.5);
  EXPECT_EQ(Convert(ValueType::kNumber, "1,234"), 1234);
  EXPECT_EQ(Convert(ValueType::kNumber, "1,234,567"), 1234567);
  EXPECT_EQ(Convert(ValueType::kNumber, "1.234.567,89"), 1234567.89);
  EXPECT_EQ(Convert(ValueType::kNumber, "1.234"), 1.234) << "a lone point is a decimal point";
  EXPECT_EQ(Convert(ValueType::kNumber, "-3"), -3);
  EXPECT_EQ(Convert(ValueType::kNumber,
                    "\xE2\x88\x92"
                    "3.5"),
            -3.5)
      << "U+2212 minus";
  EXPECT_EQ(Convert(ValueType::kNumber, "-£5.25"), -5.25);
  EXPECT_EQ(Convert(ValueType::kNumber, "£-5.25"), -5.25);
  EXPECT_EQ(Convert(ValueType::kNumber, "45%"), 45);
  EXPECT_EQ(Convert(ValueType::kNumber, "¥1,000"), 1000);
  EXPECT_EQ(Convert(ValueType::kNumber, "EUR 12,50"), 12.5);
  EXPECT_EQ(Convert(ValueType::kNumber, "USD1,299.00"), 1299);
  EXPECT_EQ(Convert(ValueType::kNumber, ".5"), 0.5);
  EXPECT_EQ(Convert(ValueType::kNumber, "1e3"), 1000);
  EXPECT_EQ(Convert(ValueType::kNumber, "In stock (22 available)"), 22);
  EXPECT_TRUE(Convert(ValueType::kNumber, "42").is_number_integer());
  EXPECT_TRUE(Convert(ValueType::kNumber, "£51.77").is_number_float());
}

TEST(ValuePipelineTest, NumbersThatDoNotParse) {
  EXPECT_EQ(Convert(ValueType::kNumber, "abc"), "<invalid>");
  EXPECT_EQ(Convert(ValueType::kNumber, "4.5 out of 5"), "<invalid>") << "two numbers";
  EXPECT_EQ(Convert(ValueType::kNumber, "2024-05-01"), "<invalid>");
  EXPECT_EQ(Convert(ValueType::kNumber, "1,23,4"), "<invalid>");
  EXPECT_EQ(Convert(ValueType::kNumber, "1.234.5,6"), "<invalid>");
  EXPECT_EQ(Convert(ValueType::kNumber, "1 2"), "<invalid>");
  EXPECT_EQ(Convert(ValueType::kNumber, "1234,567.8"), "<invalid>") << "first group too long";
  EXPECT_EQ(Convert(ValueType::kNumber, true), "<invalid>");
}

TEST(ValuePipelineTest, JsonNumbersConvertNaturally) {
  EXPECT_EQ(Convert(ValueType::kNumber, 12.5), 12.5);
  EXPECT_EQ(Convert(ValueType::kNumber, -7), -7);
  EXPECT_EQ(Convert(ValueType::kInteger, 3.0), 3);
  EXPECT_EQ(Convert(ValueType::kInteger, 3.5), "<invalid>");
  EXPECT_EQ(Convert(ValueType::kInteger, 42), 42);
  EXPECT_EQ(Convert(ValueType::kBoolean, true), true);
  EXPECT_EQ(Convert(ValueType::kBoolean, 0), false);
  EXPECT_EQ(Convert(ValueType::kBoolean, 2), "<invalid>");
  EXPECT_EQ(Convert(ValueType::kUrl, 5), "<invalid>");
}

TEST(ValuePipelineTest, Integers) {
  EXPECT_EQ(Convert(ValueType::kInteger, "22"), 22);
  EXPECT_EQ(Convert(ValueType::kInteger, " -7 "), -7);
  EXPECT_EQ(Convert(ValueType::kInteger, "1,234"), 1234);
  EXPECT_EQ(Convert(ValueType::kInteger, "1.234.567"), 1234567);
  EXPECT_EQ(Convert(ValueType::kInteger, "12.0"), 12);
  EXPECT_EQ(Convert(ValueType::kInteger, "£12"), 12);
  EXPECT_EQ(Convert(ValueType::kInteger, "12.5"), "<invalid>");
  EXPECT_EQ(Convert(ValueType::kInteger, "In stock (22 available)"), "<invalid>")
      << "words around digits need a regex";
  EXPECT_EQ(Convert(ValueType::kInteger, "twelve"), "<invalid>");
  EXPECT_EQ(ParseInteger("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(ParseInteger("99999999999999999999"), std::nullopt);
}

TEST(ValuePipelineTest, Booleans) {
  for (const char* yes : {"true", "TRUE", "Yes", "1", "on", " On "}) {
    EXPECT_EQ(Convert(ValueType::kBoolean, yes), true) << yes;
  }
  for (const char* no : {"false", "No", "0", "OFF"}) {
    EXPECT_EQ(Convert(ValueType::kBoolean, no), false) << no;
  }
  EXPECT_EQ(Convert(ValueType::kBoolean, "maybe"), "<invalid>");
  EXPECT_EQ(Convert(ValueType::kBoolean, "yes please"), "<invalid>");
}

TEST(ValuePipelineTest, Dates) {
  const std::pair<const char*, const char*> cases[] = {
      {"2024-05-01", "2024-05-01T00:00:00Z"},
      {"2024/5/1", "2024-05-01T00:00:00Z"},
      {"2024-05-01T12:00:00Z", "2024-05-01T12:00:00Z"},
      {"2024-05-01t12:00:00z", "2024-05-01T12:00:00Z"},
      {"2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00Z"},
      {"2024-05-01T12:00:00-0530", "2024-05-01T17:30:00Z"},
      {"2024-01-01T00:30:00+01:00", "2023-12-31T23:30:00Z"},
      {"2024-05-01T12:00:00.250Z", "2024-05-01T12:00:00.250Z"},
      {"2024-05-01T12:00:00.123456+00:00", "2024-05-01T12:00:00.123Z"},
      {"2024-05-01T12:00", "2024-05-01T12:00:00Z"},
      {"2024-05-01 12:00:00", "2024-05-01T12:00:00Z"},
      {"2024-05-01 12:00:00 UTC", "2024-05-01T12:00:00Z"},
      {"Tue, 10 Jun 2003 04:00:00 GMT", "2003-06-10T04:00:00Z"},
      {"Tue, 10 Jun 2003 04:00:00 +0200", "2003-06-10T02:00:00Z"},
      {"Wed, 02 Oct 2002 08:00:00 EST", "2002-10-02T13:00:00Z"},
      {"10 Jun 03 04:00 +0200", "2003-06-10T02:00:00Z"},
      {"Sunday, 06-Nov-94 08:49:37 GMT", "1994-11-06T08:49:37Z"},
      {"Sun Nov  6 08:49:37 1994", "1994-11-06T08:49:37Z"},
      {"June 10, 2003", "2003-06-10T00:00:00Z"},
      {"Jun 10, 2003 5:30 PM", "2003-06-10T17:30:00Z"},
      {"10 June 2003", "2003-06-10T00:00:00Z"},
      {"  1 Sept 2021  ", "2021-09-01T00:00:00Z"},
      {"2024-02-29", "2024-02-29T00:00:00Z"},
  };
  for (const auto& [in, out] : cases) {
    EXPECT_EQ(Convert(ValueType::kDate, in), out) << in;
  }
  for (const char* bad :
       {"2023-02-29", "2024-13-01", "2024-05-01T25:00:00Z", "yesterday", "10 Foo 2003",
        "2024-05-01 junk", "Tue, 10 Jun 2003 04:00:00 XYZ", "13:00 PM Jun 1, 2003"}) {
    EXPECT_EQ(Convert(ValueType::kDate, bad), "<invalid>") << bad;
  }
}

TEST(ValuePipelineTest, DatesFromUnixTimestamps) {
  EXPECT_EQ(Convert(ValueType::kDate, 0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Convert(ValueType::kDate, 1714521600), "2024-05-01T00:00:00Z");
  EXPECT_EQ(Convert(ValueType::kDate, 1714521600000), "2024-05-01T00:00:00Z") << "milliseconds";
  EXPECT_EQ(Convert(ValueType::kDate, 1714521600.5), "2024-05-01T00:00:00.500Z");
  EXPECT_EQ(Convert(ValueType::kDate, -86400), "1969-12-31T00:00:00Z");
  EXPECT_EQ(Convert(ValueType::kDate, "1714521600"), "<invalid>") << "text is not a timestamp";
}

TEST(ValuePipelineTest, UrlsResolveAgainstTheFinalUrl) {
  EXPECT_EQ(Convert(ValueType::kUrl, "in-her-wake_980/index.html"),
            "http://books.toscrape.com/catalogue/in-her-wake_980/index.html");
  EXPECT_EQ(Convert(ValueType::kUrl, "../media/cache/x.jpg"),
            "http://books.toscrape.com/media/cache/x.jpg");
  EXPECT_EQ(Convert(ValueType::kUrl, "/a b"), "http://books.toscrape.com/a%20b");
  EXPECT_EQ(Convert(ValueType::kUrl, "  \n /x\ty \n"), "http://books.toscrape.com/x%20y")
      << "trimmed and collapsed first";
  EXPECT_EQ(ResolveUrl("  \n /x\ty\n/z ", kBooksBase).value_or("<none>"),
            "http://books.toscrape.com/xy/z")
      << "browsers drop tabs and newlines inside URLs";
  EXPECT_EQ(Convert(ValueType::kUrl, "//cdn.example.com/x"), "http://cdn.example.com/x");
  EXPECT_EQ(Convert(ValueType::kUrl, "https://other.example/p?q=1"), "https://other.example/p?q=1");
  EXPECT_EQ(Convert(ValueType::kUrl, "?page=3"),
            "http://books.toscrape.com/catalogue/page-2.html?page=3");
  EXPECT_EQ(Convert(ValueType::kUrl, "#top"),
            "http://books.toscrape.com/catalogue/page-2.html#top");
  EXPECT_EQ(Convert(ValueType::kUrl, "caf\xC3\xA9.html"),
            "http://books.toscrape.com/catalogue/caf%C3%A9.html");
  EXPECT_EQ(Convert(ValueType::kUrl, "a|b{c}.html"),
            "http://books.toscrape.com/catalogue/a%7Cb%7Bc%7D.html");
  EXPECT_EQ(Convert(ValueType::kUrl, "100%.html"),
            "http://books.toscrape.com/catalogue/100%25.html");
  EXPECT_EQ(Convert(ValueType::kUrl, "mailto:a@example.com"), "mailto:a@example.com");
  EXPECT_EQ(Convert(ValueType::kUrl, "relative.html", "", true, ""), "<invalid>") << "no base";
  EXPECT_EQ(Convert(ValueType::kUrl, "HTTP://Example.com/x", "", true, ""), "http://example.com/x");
  EXPECT_EQ(Convert(ValueType::kUrl, "   "), "<none>");
}

TEST(ValuePipelineTest, UrlResolutionFollowsRfc3986Examples) {
  constexpr std::string_view kBase = "http://a/b/c/d;p?q";
  const std::pair<const char*, const char*> cases[] = {
      {"g:h", "g:h"},
      {"g", "http://a/b/c/g"},
      {"./g", "http://a/b/c/g"},
      {"g/", "http://a/b/c/g/"},
      {"/g", "http://a/g"},
      {"//g", "http://g/"},  // browsers add the empty path's "/"
      {"?y", "http://a/b/c/d;p?y"},
      {"g?y", "http://a/b/c/g?y"},
      {"#s", "http://a/b/c/d;p?q#s"},
      {"g#s", "http://a/b/c/g#s"},
      {";x", "http://a/b/c/;x"},
      {"..", "http://a/b/"},
      {"../g", "http://a/b/g"},
      {"../..", "http://a/"},
      {"../../g", "http://a/g"},
      {"../../../g", "http://a/g"},
      {"/./g", "http://a/g"},
      {"g.", "http://a/b/c/g."},
      {"g/../h", "http://a/b/c/h"},
  };
  for (const auto& [ref, want] : cases) {
    EXPECT_EQ(ResolveUrl(ref, kBase).value_or("<none>"), want) << ref;
  }
}

}  // namespace
}  // namespace tributary::merge::extract
