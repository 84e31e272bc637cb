// Source definitions: ids, URLs, request options, fields, keys, and ParseSource on a definition.
#include "config/loader.hpp"
#include "config/url_range.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/config/test_util.hpp"

namespace tributary::config {
namespace {

using nlohmann::json;
using test_util::Messages;
using test_util::Parse;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

// One source whose members are `members` (JSON object members without the braces), with id "s",
// url and fields/key defaults unless `members` gives them.
std::string Source(const std::string& members) {
  std::string text = "{";
  if (members.find("\"id\":") == std::string::npos) text += R"("id": "s", )";
  if (members.find("\"url\":") == std::string::npos) text += R"("url": "http://example.com/", )";
  if (members.find("\"fields\":") == std::string::npos) {
    text += R"("fields": {"title": "h3", "price": ".price"}, )";
  }
  if (members.find("\"key\":") == std::string::npos) text += R"("key": "title", )";
  text += members;
  if (text.size() >= 2 && text.compare(text.size() - 2, 2, ", ") == 0) text.resize(text.size() - 2);
  return text + "}";
}

LoadResult ParseSources(const std::vector<std::string>& sources) {
  std::string text = R"({"sources": [)";
  for (size_t i = 0; i < sources.size(); ++i) text += (i ? ", " : "") + sources[i];
  return Parse(text + "]}");
}

std::vector<std::string> Errors(const std::string& members) {
  return Messages(ParseSources({Source(members)}));
}

TEST(ConfigSource, MinimalSourceGetsDefaults) {
  const auto result = ParseSources({Source("")});
  ASSERT_THAT(Messages(result), IsEmpty());
  const SourceConfig& s = result.config->sources[0];
  EXPECT_EQ(s.method, "GET");
  EXPECT_EQ(s.every, std::chrono::minutes(15));
  EXPECT_FALSE(s.timeout.has_value());
  EXPECT_EQ(s.format, Format::kAuto);
  EXPECT_EQ(s.records, "");
  EXPECT_TRUE(s.headers.empty());
}

TEST(ConfigSource, ShorthandFieldIsASelector) {
  const auto result = ParseSources({Source(R"j("fields": {"title": "h3 a::attr(title)"})j")});
  ASSERT_THAT(Messages(result), IsEmpty());
  const FieldSpec& f = result.config->sources[0].fields.at(0);
  EXPECT_EQ(f, (FieldSpec{"title", "h3 a::attr(title)", ValueType::kString, false, false, true, "",
                          std::nullopt, {}}));
}

// "trim": false also turns off collapsing whitespace unless "collapse" says otherwise.
config::FieldTransforms NoCollapse() {
  config::FieldTransforms t;
  t.collapse = false;
  return t;
}

TEST(ConfigSource, FieldsKeepConfigurationOrder) {
  const auto result = ParseSources({Source(
      R"("key": "zeta", "fields": {"zeta": "z", "alpha": "a", "mid": "m", "beta": {"select": "b"}})")});
  ASSERT_THAT(Messages(result), IsEmpty());
  std::vector<std::string> names;
  for (const auto& f : result.config->sources[0].fields) names.push_back(f.name);
  EXPECT_THAT(names, ElementsAre("zeta", "alpha", "mid", "beta"));
  EXPECT_EQ(json::parse(result.config->sources[0].definition)["field_order"],
            json::array({"zeta", "alpha", "mid", "beta"}));
}

TEST(ConfigSource, EveryTypeName) {
  for (const auto& [name, type] :
       std::vector<std::pair<std::string, ValueType>>{{"string", ValueType::kString},
                                                      {"number", ValueType::kNumber},
                                                      {"integer", ValueType::kInteger},
                                                      {"boolean", ValueType::kBoolean},
                                                      {"date", ValueType::kDate},
                                                      {"url", ValueType::kUrl}}) {
    const auto result =
        ParseSources({Source(R"("fields": {"title": {"select": "x", "type": ")" + name + "\"}}")});
    ASSERT_THAT(Messages(result), IsEmpty()) << name;
    EXPECT_EQ(result.config->sources[0].fields[0].type, type);
    EXPECT_EQ(ValueTypeName(type), name);
  }
}

TEST(ConfigSource, UnknownTypeListsTheTypes) {
  const auto result = ParseSources(
      {Source(R"("id": "a")"), Source(R"("id": "b")"),
       Source(
           R"("id": "c", "fields": {"title": "h3", "price": {"select": "p", "type": "nmber"}})")});
  EXPECT_THAT(Messages(result),
              ElementsAre("sources[2].fields.price.type: unknown type \"nmber\"; expected one of "
                          "string, number, integer, boolean, date, url"));
}

TEST(ConfigSource, FormatsAndMethods) {
  EXPECT_THAT(Errors(R"("format": "yaml")"),
              ElementsAre("sources[0].format: unknown format \"yaml\"; expected one of auto, html, "
                          "xml, feed, json, csv, text"));
  EXPECT_THAT(Errors(R"("method": "PUT")"),
              ElementsAre("sources[0].method: unknown method \"PUT\"; expected one of GET, POST"));
  const auto result =
      ParseSources({Source(R"("format": "feed", "method": "POST", "body": "q=1")")});
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.config->sources[0].format, Format::kFeed);
  EXPECT_EQ(result.config->sources[0].method, "POST");
  EXPECT_EQ(result.config->sources[0].body, "q=1");
  EXPECT_STREQ(FormatName(Format::kFeed), "feed");
}

TEST(ConfigSource, BodyNeedsPost) {
  EXPECT_THAT(Errors(R"("body": "q=1")"),
              ElementsAre("sources[0].body: a request body needs \"method\": \"POST\""));
  EXPECT_THAT(Errors(R"("body": "")"), IsEmpty());
}

TEST(ConfigSource, RequiredMembers) {
  EXPECT_THAT(Messages(ParseSources({R"({"fields": {"t": "x"}, "key": "t"})"})),
              ElementsAre("sources[0]: missing required key \"id\"",
                          "sources[0]: missing required key \"url\""));
  EXPECT_THAT(Messages(ParseSources({R"({"id": "s", "url": "http://x/"})"})),
              ElementsAre("sources[0]: missing required key \"fields\"",
                          "sources[0]: missing required key \"key\""));
  EXPECT_THAT(Messages(ParseSources({R"("s")"})),
              ElementsAre("sources[0]: expected an object, got string"));
}

TEST(ConfigSource, UnknownKeysSuggest) {
  EXPECT_THAT(Errors(R"("evry": "1m")"),
              ElementsAre("sources[0].evry: unknown key \"evry\"; did you mean \"every\"?"));
  EXPECT_THAT(Errors(R"("fields": {"title": {"selct": "h3"}})"),
              ElementsAre("sources[0].fields.title: missing required key \"select\"",
                          "sources[0].fields.title.selct: unknown key \"selct\"; did you mean "
                          "\"select\"?"));
  EXPECT_THAT(Errors(R"("colour": "red")"),
              ElementsAre("sources[0].colour: unknown key \"colour\"; expected one of id, url, "
                          "every, format, records, key, method, headers, body, timeout, fields, "
                          "namespaces, encoding, csv, pagination, bounds, health, "
                          "group, robots, retry, limits, auth, cookies, proxy, tls, "
                          "allow_private_networks, cron, timezone, jitter, hints"));
}

TEST(ConfigSource, Ids) {
  EXPECT_THAT(Errors(R"("id": "bad id")"),
              ElementsAre("sources[0].id: invalid id \"bad id\"; use 1 to 64 letters, digits, "
                          "'_', '.' or '-'"));
  EXPECT_THAT(Errors(R"("id": "")"), ElementsAre(StartsWith("sources[0].id: invalid id \"\"")));
  EXPECT_THAT(Errors(R"("id": 7)"), ElementsAre("sources[0].id: expected a string, got integer"));
  EXPECT_THAT(Errors(R"("id": ")" + std::string(65, 'a') + "\""),
              ElementsAre(StartsWith("sources[0].id: invalid id")));
  EXPECT_THAT(Errors(R"("id": ")" + std::string(64, 'a') + "\""), IsEmpty());
  EXPECT_THAT(Errors(R"("id": "Books_2.en-GB")"), IsEmpty());
}

TEST(ConfigSource, DuplicateIds) {
  EXPECT_THAT(Messages(ParseSources(
                  {Source(R"("id": "a")"), Source(R"("id": "b")"), Source(R"("id": "a")")})),
              ElementsAre("sources[2].id: duplicate source id \"a\" (also sources[0])"));
}

TEST(ConfigSource, Urls) {
  EXPECT_THAT(Errors(R"("url": "ftp://example.com/x")"),
              ElementsAre("sources[0].url: invalid URL \"ftp://example.com/x\": unsupported "
                          "scheme \"ftp\"; expected http, https or file"));
  EXPECT_THAT(Errors(R"("url": "example.com/x")"),
              ElementsAre("sources[0].url: invalid URL \"example.com/x\": expected an absolute "
                          "URL such as \"https://example.com/page\""));
  EXPECT_THAT(Errors(R"("url": "http:///x")"), ElementsAre(HasSubstr(": has no host")));
  EXPECT_THAT(Errors(R"("url": "https://user@:80/")"), ElementsAre(HasSubstr(": has no host")));
  EXPECT_THAT(Errors(R"("url": "http://h:99999/")"), ElementsAre(HasSubstr("invalid port")));
  EXPECT_THAT(Errors(R"("url": "http://h/a b")"), ElementsAre(HasSubstr("%20")));
  EXPECT_THAT(Errors(R"("url": "http:x")"), ElementsAre(HasSubstr("expected an absolute URL")));
  EXPECT_THAT(Errors(R"("url": "file://")"), ElementsAre(HasSubstr("absolute path")));
  EXPECT_THAT(Errors(R"("url": "")"), ElementsAre("sources[0].url: must not be empty"));
  for (const char* good : {"http://127.0.0.1:8000/catalogue/page-1.html", "HTTPS://Example.com",
                           "https://user:pw@host:8443/x?q=1#f", "http://[::1]:8080/",
                           "file:///srv/data.json", "file://localhost/srv/x.csv"}) {
    EXPECT_THAT(Errors(R"("url": ")" + std::string(good) + "\""), IsEmpty()) << good;
  }
}

TEST(ConfigSource, UrlRangesAreCheckedAtLoad) {
  // A malformed, reversed or too long range is refused where it is written (a run would
  // otherwise fetch the braces verbatim).
  EXPECT_THAT(Errors(R"("url": "http://h/p{5..1}")"),
              ElementsAre("sources[0].url: invalid URL range in \"http://h/p{5..1}\": expected "
                          "{first..last} with whole numbers, first <= last"));
  for (const char* bad : {"http://h/p{1...5}", "http://h/p{a..z}", "http://h/p{1..}",
                          "http://h/p{1..5"}) {
    EXPECT_THAT(Errors(R"("url": ")" + std::string(bad) + "\""),
                ElementsAre(HasSubstr("expected {first..last}")))
        << bad;
  }
  EXPECT_THAT(Errors(R"("url": "http://h/p{1..20000}")"),
              ElementsAre(HasSubstr(": 20000 pages; at most 10000")));
  // Ranges, and braces that hold no range, are fine.
  for (const char* good : {"http://h/p{1..50}.html", "http://h/{01..12}", "http://h/p{3..3}",
                           "http://h/q?f={x}"}) {
    EXPECT_THAT(Errors(R"("url": ")" + std::string(good) + "\""), IsEmpty()) << good;
  }
}

TEST(ConfigSource, UrlRangesExpandInOrder) {
  auto urls = [](const std::string& url) {
    auto range = ExpandUrlRange(url, 100);
    return range ? range->urls : std::vector<std::string>{"<no range>"};
  };
  EXPECT_EQ(urls("http://x/page-{1..3}.html"),
            (std::vector<std::string>{"http://x/page-1.html", "http://x/page-2.html",
                                      "http://x/page-3.html"}));
  EXPECT_EQ(urls("http://x/{08..10}"),
            (std::vector<std::string>{"http://x/08", "http://x/09", "http://x/10"}));
  EXPECT_EQ(urls("http://x/plain"), (std::vector<std::string>{"<no range>"}));
  EXPECT_EQ(urls("http://x/{a,b}"), (std::vector<std::string>{"<no range>"}));
  EXPECT_FALSE(ExpandUrlRange("http://x/{3..1}", 100)->error.empty());
  EXPECT_FALSE(ExpandUrlRange("http://x/{1..1000}", 100)->error.empty());
  EXPECT_TRUE(ExpandUrlRange("http://x/{1..1000}", 100)->urls.empty());
}

TEST(ConfigSource, Headers) {
  const auto result =
      ParseSources({Source(R"("headers": {"Accept": "text/html", "X-Api-Key": "k"})")});
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.config->sources[0].headers, (std::vector<std::pair<std::string, std::string>>{
                                                   {"Accept", "text/html"}, {"X-Api-Key", "k"}}));
  EXPECT_THAT(Errors(R"("headers": {"Accept": 1})"),
              ElementsAre("sources[0].headers.Accept: expected a string, got integer"));
  EXPECT_THAT(Errors(R"("headers": {"Bad Name": "x"})"),
              ElementsAre("sources[0].headers[\"Bad Name\"]: invalid header name \"Bad Name\""));
  EXPECT_THAT(Errors(R"("headers": {"Accept": "a", "accept": "b"})"),
              ElementsAre(HasSubstr("is set twice")));
  EXPECT_THAT(Errors(R"("headers": ["Accept: x"])"),
              ElementsAre("sources[0].headers: expected an object, got array"));
  const auto injected = Errors(R"("headers": {"Authorization": "tok3n\r\nX-Evil: 1"})");
  EXPECT_THAT(injected, ElementsAre("sources[0].headers.Authorization: header values must not "
                                    "contain line breaks or control characters"));
  EXPECT_THAT(injected[0], Not(HasSubstr("tok3n")));
}

TEST(ConfigSource, EveryAndTimeout) {
  EXPECT_THAT(Errors(R"("every": "500ms")"),
              ElementsAre("sources[0].every: must be at least 1s, got \"500ms\""));
  EXPECT_THAT(Errors(R"("every": "15")"), ElementsAre(StartsWith("sources[0].every: invalid "
                                                                 "duration \"15\"; expected")));
  EXPECT_THAT(Errors(R"("timeout": "0s")"),
              ElementsAre("sources[0].timeout: must be greater than 0, got \"0s\""));
  const auto result = ParseSources({Source(R"("every": "1s", "timeout": "2m")")});
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.config->sources[0].every, std::chrono::seconds(1));
  EXPECT_EQ(result.config->sources[0].timeout, std::chrono::minutes(2));
}

TEST(ConfigSource, FieldShapes) {
  EXPECT_THAT(Errors(R"("fields": {})"),
              ElementsAre("sources[0].key: \"title\" is not a field of this source",
                          "sources[0].fields: must define at least one field"));
  EXPECT_THAT(Errors(R"("fields": ["h3"])"),
              ElementsAre("sources[0].fields: expected an object, got array"));
  EXPECT_THAT(Errors(R"("fields": {"title": 3})"),
              ElementsAre("sources[0].fields.title: expected a selector string or an object, got "
                          "integer"));
  EXPECT_THAT(Errors(R"("fields": {"title": {"select": "x", "required": "yes", "trim": 1}})"),
              ElementsAre("sources[0].fields.title.required: expected a boolean, got string",
                          "sources[0].fields.title.trim: expected a boolean, got integer"));
  EXPECT_THAT(Errors(R"("fields": {"title": "h3", "": "x"})"),
              ElementsAre(StartsWith("sources[0].fields[\"\"]: field names must be 1 to 128")));
}

TEST(ConfigSource, FullFieldObject) {
  const auto result = ParseSources({Source(R"j("fields": {"title": {"select": "h3",
      "type": "date", "required": true, "multiple": true, "trim": false, "regex": "(\\d+)",
      "default": ["x"]}})j")});
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.config->sources[0].fields[0],
            (FieldSpec{"title", "h3", ValueType::kDate, true, true, false, "(\\d+)",
                       json::array({"x"}), NoCollapse()}));
}

TEST(ConfigSource, DefaultMustMatchTheType) {
  EXPECT_THAT(Errors(R"("fields": {"title": {"select": "x", "type": "number", "default": "0"}})"),
              ElementsAre("sources[0].fields.title.default: expected a number (the field's "
                          "type), got string"));
  EXPECT_THAT(Errors(R"("fields": {"title": {"select": "x", "type": "integer", "default": 1.5}})"),
              ElementsAre(HasSubstr("expected an integer (the field's type), got number")));
  EXPECT_THAT(Errors(R"("fields": {"title": {"select": "x", "multiple": true, "type": "boolean",
                         "default": [true, "no"]}})"),
              ElementsAre("sources[0].fields.title.default[1]: expected a boolean (the field's "
                          "type), got string"));
  EXPECT_THAT(
      Errors(R"("fields": {"title": {"select": "x", "type": "boolean", "default": [true]}})"),
      ElementsAre(HasSubstr("expected a boolean (the field's type), got array")));
  // An unknown type is the only error: the default is not checked against a guess.
  EXPECT_THAT(Errors(R"("fields": {"title": {"select": "x", "type": "nmber", "default": 0}})"),
              ElementsAre(StartsWith("sources[0].fields.title.type: unknown type \"nmber\"")));
  const auto result =
      ParseSources({Source(R"("fields": {"title": {"select": "x", "default": null}})")});
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.config->sources[0].fields[0].default_value, json(nullptr));
}

TEST(ConfigSource, KeyMustNameFields) {
  EXPECT_THAT(Errors(R"("key": "titel")"),
              ElementsAre("sources[0].key: \"titel\" is not a field of this source; did you mean "
                          "\"title\"?"));
  EXPECT_THAT(Errors(R"("key": ["title", "zzzzz"])"),
              ElementsAre("sources[0].key[1]: \"zzzzz\" is not a field of this source; its fields "
                          "are title, price"));
  EXPECT_THAT(Errors(R"("key": [])"), ElementsAre("sources[0].key: must name at least one field"));
  EXPECT_THAT(Errors(R"("key": ["title", "title"])"),
              ElementsAre("sources[0].key[1]: \"title\" is listed twice"));
  const auto result = ParseSources({Source(R"("key": ["title", "price"])")});
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.config->sources[0].key, (std::vector<std::string>{"title", "price"}));
}

TEST(ConfigSource, ParseSourceRoundTripsTheDefinition) {
  const auto result = ParseSources({Source(R"j("id": "books", "format": "html",
      "records": "article", "every": "1h30m", "timeout": "5s", "method": "POST", "body": "b",
      "headers": {"X-A": "1"}, "key": ["title", "price"],
      "fields": {"title": "h3", "price": {"select": "p", "type": "number", "default": 0},
                 "author": {"select": "a", "multiple": true, "trim": false, "regex": "by (.*)"}})j")});
  ASSERT_THAT(Messages(result), IsEmpty());
  const SourceConfig& loaded = result.config->sources[0];
  std::vector<ConfigError> errors;
  const auto again = ParseSource(json::parse(loaded.definition), "source", errors);
  ASSERT_THAT(Messages(errors), IsEmpty());
  EXPECT_EQ(*again, loaded);
  // Through the wire, as a worker receives it (the extract request carries the tree).
  const auto wired =
      ParseSource(json::parse(json::parse(loaded.definition).dump()), "source", errors);
  ASSERT_TRUE(wired.has_value());
  EXPECT_EQ(*wired, loaded);
  EXPECT_EQ(wired->fields[2].name, "author");
}

TEST(ConfigSource, ParseSourcePrefixesErrorsWithItsPath) {
  std::vector<ConfigError> errors;
  const json bad = {
      {"id", "s"}, {"url", "http://x/"}, {"every", "1"}, {"key", "t"}, {"fields", {{"t", "h1"}}}};
  EXPECT_FALSE(ParseSource(bad, "source", errors).has_value());
  EXPECT_THAT(Messages(errors), ElementsAre(StartsWith("source.every: invalid duration \"1\"")));
  errors.clear();
  EXPECT_FALSE(ParseSource(json("x"), "source", errors).has_value());
  EXPECT_THAT(Messages(errors), ElementsAre("source: expected an object, got string"));
}

TEST(ConfigSource, ParseSourceWithoutFieldOrderUsesTheObjectsOrder) {
  std::vector<ConfigError> errors;
  const json def = {
      {"id", "s"}, {"url", "http://x/"}, {"key", "b"}, {"fields", {{"b", "x"}, {"a", "y"}}}};
  const auto s = ParseSource(def, "source", errors);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->fields[0].name, "a");  // nlohmann::json sorts keys
  EXPECT_EQ(json::parse(s->definition), def);
  EXPECT_EQ(s->definition, def.dump()) << "canonical text: compact, keys in order";
}

TEST(ConfigSource, FieldOrderMustListEveryField) {
  std::vector<ConfigError> errors;
  json def = {{"id", "s"},
              {"url", "http://x/"},
              {"key", "b"},
              {"fields", {{"b", "x"}, {"a", "y"}}},
              {"field_order", {"b"}}};
  EXPECT_FALSE(ParseSource(def, "source", errors).has_value());
  EXPECT_THAT(Messages(errors), ElementsAre("source.field_order: must be an array naming every "
                                            "field exactly once"));
  errors.clear();
  def["field_order"] = {"b", "a"};
  const auto s = ParseSource(def, "source", errors);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->fields[0].name, "b");
}

}  // namespace
}  // namespace tributary::config
