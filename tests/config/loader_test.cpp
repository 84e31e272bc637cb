// ParseConfig and LoadConfigFile: the whole file, its top-level sections, syntax errors, ${ENV}.
#include "config/loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/config/test_util.hpp"

namespace tributary::config {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using test_util::Messages;
using test_util::Parse;
using test_util::WithSource;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

// The example from the design notes, comments included, plus the "sheet" source its view uses.
constexpr const char* kExample = R"json({
  "listen": "127.0.0.1:8080",            // "host:port", "[::1]:8080", port 0 = ephemeral
  "data_dir": "./data",
  "log": {"level": "info", "format": "text"},
  "fetch":   { "io_threads": 2, "user_agent": "tributary/0.1", "timeout": "30s", "connect_timeout": "10s",
               "max_body": "16MiB", "allow_private_networks": false },
  "workers": { "processes": 2, "job_timeout": "10s" },
  "sources": [
    { "id": "books", "url": "http://127.0.0.1:8000/catalogue/page-1.html", "every": "15m",
      "format": "html", "records": "article.product_pod", "key": "title",
      "method": "GET", "headers": {"Authorization": "Bearer ${TOKEN}"}, "body": "", "timeout": "5s",
      "fields": { "title": "h3 a::attr(title)",
                  "price": { "select": "p.price_color::text", "type": "number", "required": true,
                             "multiple": false, "trim": true, "regex": "([0-9.]+)", "default": 0 } } },
    /* a second source, for the view */
    { "id": "sheet", "url": "https://example.com/sheet.csv", "format": "csv", "key": "name",
      "fields": {"name": "Title", "stock": {"select": "Stock", "type": "integer"}} }
  ],
  "views": [ { "id": "books", "sources": ["books", {"id": "sheet", "fields": {"title": "name"}}], "key": "title" } ]
})json";

TEST(ConfigLoader, FullExampleLoads) {
  const auto result = Parse(kExample, {{"TOKEN", "s3cret"}});
  ASSERT_THAT(Messages(result), IsEmpty());
  ASSERT_TRUE(result.config.has_value());
  const Config& c = *result.config;
  EXPECT_EQ(c.listen.host, "127.0.0.1");
  EXPECT_EQ(c.listen.port, 8080);
  EXPECT_EQ(c.data_dir, "./data");
  EXPECT_EQ(c.log.level, "info");
  EXPECT_FALSE(c.log.json);
  EXPECT_EQ(c.fetch.io_threads, 2);
  EXPECT_EQ(c.fetch.user_agent, "tributary/0.1");
  EXPECT_EQ(c.fetch.timeout, seconds(30));
  EXPECT_EQ(c.fetch.connect_timeout, seconds(10));
  EXPECT_EQ(c.fetch.max_body, 16u << 20);
  EXPECT_FALSE(c.fetch.allow_private_networks);
  EXPECT_EQ(c.workers.processes, 2);
  EXPECT_EQ(c.workers.job_timeout, seconds(10));

  ASSERT_EQ(c.sources.size(), 2u);
  const SourceConfig& books = c.sources[0];
  EXPECT_EQ(books.id, "books");
  EXPECT_EQ(books.url, "http://127.0.0.1:8000/catalogue/page-1.html");
  EXPECT_EQ(books.every, minutes(15));
  EXPECT_EQ(books.format, Format::kHtml);
  EXPECT_EQ(books.records, "article.product_pod");
  EXPECT_EQ(books.key, std::vector<std::string>{"title"});
  EXPECT_EQ(books.method, "GET");
  EXPECT_EQ(books.headers,
            (std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer s3cret"}}));
  EXPECT_EQ(books.body, "");
  EXPECT_EQ(books.timeout, seconds(5));
  ASSERT_EQ(books.fields.size(), 2u);
  EXPECT_EQ(books.fields[0].name, "title");
  EXPECT_EQ(books.fields[0].select, "h3 a::attr(title)");
  EXPECT_EQ(books.fields[0].type, ValueType::kString);
  const FieldSpec& price = books.fields[1];
  EXPECT_EQ(price.name, "price");
  EXPECT_EQ(price.select, "p.price_color::text");
  EXPECT_EQ(price.type, ValueType::kNumber);
  EXPECT_TRUE(price.required);
  EXPECT_FALSE(price.multiple);
  EXPECT_TRUE(price.trim);
  EXPECT_EQ(price.regex, "([0-9.]+)");
  EXPECT_EQ(price.default_value, nlohmann::json(0));
  EXPECT_EQ(c.sources[1].fields[1].type, ValueType::kInteger);
  EXPECT_FALSE(c.sources[1].timeout.has_value());

  ASSERT_EQ(c.views.size(), 1u);
  const ViewConfig& view = c.views[0];
  EXPECT_EQ(view.id, "books");
  ASSERT_EQ(view.sources.size(), 2u);
  EXPECT_EQ(view.sources[0].id, "books");
  EXPECT_TRUE(view.sources[0].fields.empty());
  EXPECT_EQ(view.sources[1].id, "sheet");
  EXPECT_EQ(view.sources[1].fields, (std::map<std::string, std::string>{{"title", "name"}}));
  EXPECT_EQ(view.key, std::vector<std::string>{"title"});
  EXPECT_EQ(c.FindSource("sheet"), &c.sources[1]);
  EXPECT_EQ(c.FindView("books"), &c.views[0]);
  EXPECT_EQ(c.FindView("nope"), nullptr);
}

TEST(ConfigLoader, EmptyObjectGivesDefaults) {
  const auto result = Parse("{}");
  ASSERT_TRUE(result.config.has_value());
  EXPECT_EQ(*result.config, Config{});
  EXPECT_EQ(result.config->listen.port, 8080);
  EXPECT_EQ(result.config->workers.processes, 0);
}

TEST(ConfigLoader, EmptySourcesAndViewsAreAllowed) {
  const auto result = Parse(R"({"sources": [], "views": []})");
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_TRUE(result.config->sources.empty());
}

TEST(ConfigLoader, ListenAcceptsHostPortIpv6AndPortZero) {
  struct Case {
    const char* text;
    const char* host;
    uint16_t port;
  };
  for (const Case& c :
       {Case{"127.0.0.1:8080", "127.0.0.1", 8080}, Case{"[::1]:8080", "::1", 8080},
        Case{"0.0.0.0:0", "0.0.0.0", 0}, Case{"localhost:65535", "localhost", 65535},
        Case{"[::]:0", "::", 0}, Case{"[::ffff:127.0.0.1]:80", "::ffff:127.0.0.1", 80}}) {
    const auto result = Parse(std::string(R"({"listen": ")") + c.text + "\"}");
    ASSERT_TRUE(result.config.has_value()) << c.text;
    EXPECT_EQ(result.config->listen.host, c.host) << c.text;
    EXPECT_EQ(result.config->listen.port, c.port) << c.text;
  }
}

TEST(ConfigLoader, ListenRejectsMalformedAddresses) {
  for (const char* bad : {"8080", "::1:8080", ":8080", "host:99999", "host:", "[::1]", "[zz]:80",
                          "a b:80", "[::1:80", "host:80a", "host:-1"}) {
    const auto result = Parse(std::string(R"({"listen": ")") + bad + "\"}");
    ASSERT_EQ(result.errors.size(), 1u) << bad;
    EXPECT_EQ(result.errors[0].path, "listen");
    EXPECT_THAT(result.errors[0].message, StartsWith("invalid address ")) << bad;
  }
  EXPECT_THAT(Messages(Parse(R"({"listen": "8080"})")),
              ElementsAre("listen: invalid address \"8080\": missing port; expected "
                          "\"host:port\", e.g. \"127.0.0.1:8080\" or \"[::1]:8080\""));
  EXPECT_THAT(Messages(Parse(R"({"listen": "::1:8080"})"))[0],
              HasSubstr("IPv6 addresses need brackets"));
  EXPECT_THAT(Messages(Parse(R"({"listen": 8080})")),
              ElementsAre("listen: expected a string, got integer"));
}

TEST(ConfigLoader, UnknownKeysSuggestTheClosestAtEveryDepth) {
  const auto result = Parse(WithSource(R"(
    "sorces_extra": 1, "fetch": {"timout": "1s"}, "log": {"levl": "info"},
    "workers": {"proceses": 1}, "zzz": true)"));
  EXPECT_THAT(Messages(result),
              ElementsAre("sorces_extra: unknown key \"sorces_extra\"; expected one of listen, "
                          "data_dir, log, fetch, workers, sources, views, api, webhooks, history, groups",
                          "fetch.timout: unknown key \"timout\"; did you mean \"timeout\"?",
                          "log.levl: unknown key \"levl\"; did you mean \"level\"?",
                          "workers.proceses: unknown key \"proceses\"; did you mean \"processes\"?",
                          "zzz: unknown key \"zzz\"; expected one of listen, data_dir, log, "
                          "fetch, workers, sources, views, api, webhooks, history, groups"));
  EXPECT_THAT(Messages(Parse(R"({"sorces": []})")),
              ElementsAre("sorces: unknown key \"sorces\"; did you mean \"sources\"?"));
  EXPECT_FALSE(result.config.has_value());
}

TEST(ConfigLoader, WrongJsonTypesNameWhatWasExpected) {
  EXPECT_THAT(Messages(Parse(R"({"fetch": {"io_threads": "2"}})")),
              ElementsAre("fetch.io_threads: expected an integer, got string"));
  EXPECT_THAT(Messages(Parse(R"({"fetch": {"io_threads": 2.5}})")),
              ElementsAre("fetch.io_threads: expected an integer, got number"));
  EXPECT_THAT(Messages(Parse(R"({"log": "debug"})")),
              ElementsAre("log: expected an object, got string"));
  EXPECT_THAT(Messages(Parse(R"({"sources": {}})")),
              ElementsAre("sources: expected an array, got object"));
  EXPECT_THAT(Messages(Parse(R"({"fetch": {"allow_private_networks": "no"}})")),
              ElementsAre("fetch.allow_private_networks: expected a boolean, got string"));
  EXPECT_THAT(Messages(Parse(R"({"data_dir": ""})")), ElementsAre("data_dir: must not be empty"));
  EXPECT_THAT(Messages(Parse("[]")),
              ElementsAre("the configuration must be a JSON object, got array"));
}

TEST(ConfigLoader, IntegerRanges) {
  EXPECT_THAT(Messages(Parse(R"({"fetch": {"io_threads": 0}})")),
              ElementsAre("fetch.io_threads: must be between 1 and 64, got 0"));
  EXPECT_THAT(Messages(Parse(R"({"fetch": {"io_threads": 65}})")),
              ElementsAre("fetch.io_threads: must be between 1 and 64, got 65"));
  EXPECT_THAT(Messages(Parse(R"({"workers": {"processes": -1}})")),
              ElementsAre("workers.processes: must be between 0 and 256, got -1"));
  EXPECT_THAT(Messages(Parse(R"({"workers": {"processes": 257}})")),
              ElementsAre("workers.processes: must be between 0 and 256, got 257"));
  const auto ok = Parse(R"({"fetch": {"io_threads": 64}, "workers": {"processes": 0}})");
  ASSERT_TRUE(ok.config.has_value());
  EXPECT_EQ(ok.config->fetch.io_threads, 64);
  EXPECT_EQ(ok.config->workers.processes, 0);
}

TEST(ConfigLoader, DurationsSayWhatIsExpected) {
  EXPECT_THAT(Messages(Parse(R"({"fetch": {"timeout": "30"}})")),
              ElementsAre("fetch.timeout: invalid duration \"30\"; expected a number with a unit, "
                          "e.g. \"500ms\", \"30s\", \"15m\", \"2h\""));
  EXPECT_THAT(Messages(Parse(R"({"fetch": {"connect_timeout": "0s"}})")),
              ElementsAre("fetch.connect_timeout: must be greater than 0, got \"0s\""));
  EXPECT_THAT(Messages(Parse(R"({"workers": {"job_timeout": 10}})")),
              ElementsAre("workers.job_timeout: expected a duration string such as \"30s\", got "
                          "integer"));
  const auto ok = Parse(R"({"fetch": {"timeout": "1m30s"}, "workers": {"job_timeout": "500ms"}})");
  ASSERT_TRUE(ok.config.has_value());
  EXPECT_EQ(ok.config->fetch.timeout, seconds(90));
  EXPECT_EQ(ok.config->workers.job_timeout, std::chrono::milliseconds(500));
}

TEST(ConfigLoader, SizesSayWhatIsExpected) {
  EXPECT_THAT(Messages(Parse(R"({"fetch": {"max_body": "16M"}})")),
              ElementsAre("fetch.max_body: invalid size \"16M\"; expected a byte count with an "
                          "optional unit, e.g. \"4096\", \"512KiB\", \"16MiB\", \"1GB\""));
  EXPECT_THAT(Messages(Parse(R"({"fetch": {"max_body": 0}})")),
              ElementsAre("fetch.max_body: must be greater than 0, got 0"));
  EXPECT_THAT(Messages(Parse(R"({"fetch": {"max_body": -5}})")),
              ElementsAre("fetch.max_body: expected a size such as \"16MiB\" or a byte count, got "
                          "a negative integer"));
  EXPECT_THAT(Messages(Parse(R"({"fetch": {"max_body": true}})")),
              ElementsAre("fetch.max_body: expected a size such as \"16MiB\" or a byte count, got "
                          "boolean"));
  for (const auto& [text, bytes] :
       std::vector<std::pair<std::string, uint64_t>>{{"4096", 4096},
                                                     {"\"4096\"", 4096},
                                                     {"\"512KiB\"", 512 * 1024},
                                                     {"\"10MB\"", 10'000'000},
                                                     {"\"1GiB\"", 1ull << 30}}) {
    const auto result = Parse(R"({"fetch": {"max_body": )" + text + "}}");
    ASSERT_TRUE(result.config.has_value()) << text;
    EXPECT_EQ(result.config->fetch.max_body, bytes) << text;
  }
}

TEST(ConfigLoader, LogLevelAndFormatNames) {
  EXPECT_THAT(Messages(Parse(R"({"log": {"level": "verbose"}})")),
              ElementsAre("log.level: unknown log level \"verbose\"; expected one of trace, "
                          "debug, info, warn, error, critical, off"));
  EXPECT_THAT(Messages(Parse(R"({"log": {"format": "xml"}})")),
              ElementsAre("log.format: unknown log format \"xml\"; expected one of text, json"));
  const auto ok = Parse(R"({"log": {"level": "debug", "format": "json"}})");
  ASSERT_TRUE(ok.config.has_value());
  EXPECT_EQ(ok.config->log.level, "debug");
  EXPECT_TRUE(ok.config->log.json);
}

TEST(ConfigLoader, CollectsEveryErrorInDocumentOrder) {
  // Views are checked after sources, yet their errors come first when they come first.
  const auto result = Parse(R"({
    "views": [{"id": "v", "sources": ["nope"]}],
    "fetch": {"io_threads": 0, "timeout": "soon"},
    "sources": [{"id": "a", "url": "ftp://x", "key": "k", "fields": {"k": "x"}}],
    "log": {"level": "loud"}
  })");
  EXPECT_THAT(Messages(result),
              ElementsAre("views[0].sources[0]: unknown source \"nope\"; known sources are a",
                          "fetch.io_threads: must be between 1 and 64, got 0",
                          HasSubstr("fetch.timeout: invalid duration \"soon\""),
                          HasSubstr("sources[0].url: invalid URL \"ftp://x\""),
                          HasSubstr("log.level: unknown log level \"loud\"")));
  EXPECT_FALSE(result.config.has_value());
}

TEST(ConfigLoader, SyntaxErrorsGiveLineAndColumn) {
  const auto result = Parse("{\n  \"listen\": x\n}");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].path, "");
  EXPECT_THAT(result.errors[0].message,
              StartsWith("invalid JSON at line 2, column 13: syntax error while parsing value"));
  EXPECT_THAT(Messages(Parse("{\"a\": 1,\n  \"b\": 2,\n}"))[0],
              StartsWith("invalid JSON at line 3, column 1: "));
  EXPECT_THAT(Messages(Parse("{\"listen\": \"x\""))[0],
              StartsWith("invalid JSON at line 1, column 15: "));
  EXPECT_THAT(Messages(Parse(""))[0], StartsWith("invalid JSON at line 1, column 1: "));
  // Columns count characters, not bytes: "é" is two bytes.
  EXPECT_THAT(Messages(Parse("{\"data_dir\": \"\xC3\xA9\", x}"))[0],
              StartsWith("invalid JSON at line 1, column 19: "));
  EXPECT_FALSE(Parse("{\n  \"listen\": x\n}").config.has_value());
}

TEST(ConfigLoader, CommentsAreAllowed) {
  const auto result = Parse("// tributary\n{\n  /* port */ \"listen\": \"[::1]:9\" // v6\n}");
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.config->listen.port, 9);
}

TEST(ConfigLoader, DuplicateKeysAreErrors) {
  EXPECT_THAT(Messages(Parse(R"({"fetch": {"timeout": "1s", "timeout": "2s"}})")),
              ElementsAre("fetch.timeout: duplicate key \"timeout\""));
  EXPECT_THAT(Messages(Parse(WithSource(R"("views": [{"id": "v", "sources": ["s"]},
          {"id": "w", "sources": [{"id": "s", "fields": {"a": "title", "a": "price"}}]}])"))),
              ElementsAre("views[1].sources[0].fields.a: duplicate key \"a\""));
}

TEST(ConfigLoader, DeepNestingIsRefused) {
  std::string deep = R"({"sources": [{"id": "s", "fields": {"f": {"select": "x", "default": )";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  deep += "}}}]}";
  EXPECT_THAT(Messages(Parse(deep)), ElementsAre("values are nested more than 64 levels deep"));
}

TEST(ConfigLoader, EveryTruncationIsRejectedWithAnError) {
  const std::string full = kExample;
  for (size_t n = 0; n < full.size(); ++n) {
    const auto result = Parse(full.substr(0, n), {{"TOKEN", "x"}});
    EXPECT_FALSE(result.config.has_value()) << n;
    EXPECT_FALSE(result.errors.empty()) << n;
  }
  EXPECT_TRUE(Parse(full, {{"TOKEN", "x"}}).config.has_value());
}

TEST(ConfigLoader, CorruptedBytesGiveErrorsNotCrashes) {
  const std::string full = kExample;
  for (size_t i = 0; i < full.size(); ++i) {
    for (char c : {'\0', '"', '}', ',', '\xFF', '$'}) {
      std::string text = full;
      text[i] = c;
      const auto result = Parse(text, {{"TOKEN", "x"}});
      EXPECT_NE(result.config.has_value(), !result.errors.empty()) << i << " " << c;
    }
  }
}

TEST(ConfigLoaderEnv, SubstitutesInAnyString) {
  const auto result = Parse(
      R"({"listen": "${HOST}:${PORT}", "data_dir": "${DIR}/x",
          "sources": [{"id": "s", "url": "https://${API}/v1?key=${KEY}", "key": "t",
                       "headers": {"Authorization": "Bearer ${TOKEN}"},
                       "fields": {"t": {"select": "${SEL}", "default": "${DEF}"}}}]})",
      {{"HOST", "0.0.0.0"},
       {"PORT", "0"},
       {"DIR", "/srv"},
       {"API", "api.example.com"},
       {"KEY", "k1"},
       {"TOKEN", "t0k"},
       {"SEL", "h1"},
       {"DEF", "none"}});
  ASSERT_THAT(Messages(result), IsEmpty());
  const Config& c = *result.config;
  EXPECT_EQ(c.listen.host, "0.0.0.0");
  EXPECT_EQ(c.listen.port, 0);
  EXPECT_EQ(c.data_dir, "/srv/x");
  EXPECT_EQ(c.sources[0].url, "https://api.example.com/v1?key=k1");
  EXPECT_EQ(c.sources[0].headers[0].second, "Bearer t0k");
  EXPECT_EQ(c.sources[0].fields[0].select, "h1");
  EXPECT_EQ(c.sources[0].fields[0].default_value, nlohmann::json("none"));
  // The definition a worker receives is the substituted one.
  EXPECT_EQ(nlohmann::json::parse(c.sources[0].definition)["headers"]["Authorization"], "Bearer t0k");
}

TEST(ConfigLoaderEnv, UnsetVariableIsAnErrorAtTheValuesPath) {
  const auto result = Parse(
      R"({"sources": [{"id": "s", "url": "http://x/", "key": "t", "fields": {"t": "h1"},
                       "headers": {"Authorization": "Bearer ${TOKEN}"}}]})");
  EXPECT_THAT(Messages(result),
              ElementsAre("sources[0].headers.Authorization: environment variable TOKEN is not "
                          "set"));
  EXPECT_FALSE(result.config.has_value());
}

TEST(ConfigLoaderEnv, FailedSubstitutionIsReportedOnce) {
  // Not also "invalid duration" or "invalid id": the unset variable is the whole story.
  EXPECT_THAT(Messages(Parse(WithSource(R"("fetch": {"timeout": "${T}"}, "listen": "${L}")"))),
              ElementsAre("fetch.timeout: environment variable T is not set",
                          "listen: environment variable L is not set"));
  EXPECT_THAT(Messages(Parse(R"({"sources": [{"id": "${ID}", "url": "http://x/", "key": "t",
                                 "fields": {"t": "h1"}}]})")),
              ElementsAre("sources[0].id: environment variable ID is not set"));
}

TEST(ConfigLoaderEnv, DoubleDollarIsALiteral) {
  const auto result =
      Parse(R"({"data_dir": "$${HOME}/a$b$$c/${X}"})", {{"HOME", "wrong"}, {"X", "y"}});
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.config->data_dir, "${HOME}/a$b$$c/y");
}

TEST(ConfigLoaderEnv, DefaultsAfterColonDash) {
  const auto result = Parse(
      R"({"listen": "${LISTEN:-127.0.0.1:9090}", "data_dir": "${DIR:-./d}",
          "fetch": {"user_agent": "${UA:-}x${EMPTY:-y}"}})",
      {{"DIR", "/srv"}, {"EMPTY", ""}});
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.config->listen.port, 9090);
  EXPECT_EQ(result.config->data_dir, "/srv");
  EXPECT_EQ(result.config->fetch.user_agent, "xy");
  // Without a default an empty variable is still a value.
  EXPECT_EQ(Parse(R"({"data_dir": "a${EMPTY}b"})", {{"EMPTY", ""}}).config->data_dir, "ab");
  EXPECT_THAT(Messages(Parse(R"({"data_dir": "${:-x}"})"))[0],
              StartsWith("data_dir: invalid environment variable name \"\""));
}

TEST(ConfigLoaderEnv, MalformedReferences) {
  EXPECT_THAT(Messages(Parse(R"({"data_dir": "a${HOME"})")),
              ElementsAre("data_dir: unterminated \"${\" (write \"$${\" for a literal \"${\")"));
  EXPECT_THAT(Messages(Parse(R"({"data_dir": "${1X}"})"))[0],
              StartsWith("data_dir: invalid environment variable name \"1X\""));
  EXPECT_THAT(Messages(Parse(R"({"data_dir": "${}"})"))[0],
              StartsWith("data_dir: invalid environment variable name \"\""));
  EXPECT_THAT(Messages(Parse(R"({"data_dir": "${A}${B}"})")),
              ElementsAre("data_dir: environment variable A is not set",
                          "data_dir: environment variable B is not set"));
}

TEST(ConfigLoaderEnv, SubstitutedValuesNeverAppearInErrors) {
  const std::string secret = "hunter2 secret";
  const auto result =
      Parse(WithSource(R"("fetch": {"timeout": "${S}", "user_agent": "${S}\n"}, "listen": "${S}",
                    "log": {"level": "${S}"}, "views": [{"id": "${S}", "sources": ["s"]}])"),
            {{"S", secret}});
  ASSERT_EQ(result.errors.size(), 5u);
  for (const auto& m : Messages(result)) EXPECT_THAT(m, Not(HasSubstr(secret))) << m;
  EXPECT_THAT(Messages(result), Contains("fetch.timeout: invalid duration \"${S}\"; expected a "
                                         "number with a unit, e.g. \"500ms\", \"30s\", \"15m\", "
                                         "\"2h\""));
  EXPECT_THAT(Messages(result), Contains(StartsWith("listen: invalid address \"${S}\"")));
}

TEST(ConfigLoaderEnv, ProcessEnvironmentReadsTheRealEnvironment) {
  ASSERT_EQ(setenv("TRIBUTARY_CONFIG_TEST_VAR", "from-env", 1), 0);
  const auto result = ParseConfig(R"({"data_dir": "${TRIBUTARY_CONFIG_TEST_VAR}"})");
  ASSERT_TRUE(result.config.has_value());
  EXPECT_EQ(result.config->data_dir, "from-env");
  EXPECT_EQ(ProcessEnvironment()("TRIBUTARY_CONFIG_TEST_UNSET_VAR"), std::nullopt);
}

TEST(ConfigLoaderExample, ShippedExampleLoads) {
  const char* root = std::getenv("TRIBUTARY_SOURCE_DIR");
  if (root == nullptr) GTEST_SKIP() << "TRIBUTARY_SOURCE_DIR is not set (run through ctest)";
  const auto result =
      LoadConfigFile(std::string(root) + "/examples/config.json",
                     test_util::FakeEnv({{"EXAMPLE_ORIGIN", "http://127.0.0.1:1"}}));
  ASSERT_THAT(Messages(result), IsEmpty());
  const Config& c = *result.config;
  EXPECT_EQ(c.listen.port, 8080);
  EXPECT_EQ(c.data_dir, "./data");
  ASSERT_EQ(c.sources.size(), 2u);
  EXPECT_EQ(c.sources[0].url, "http://127.0.0.1:1/catalogue/page-1.html");
  EXPECT_EQ(c.views.at(0).key, std::vector<std::string>{"title"});
}

class ConfigLoaderFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tributary-config-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(ConfigLoaderFile, LoadsAFile) {
  const auto file = dir_ / "tributary.json";
  std::ofstream(file) << kExample;
  const auto result = LoadConfigFile(file.string(), test_util::FakeEnv({{"TOKEN", "x"}}));
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.config->sources.size(), 2u);
}

TEST_F(ConfigLoaderFile, MissingFileNamesTheFile) {
  const auto file = (dir_ / "nope.json").string();
  EXPECT_THAT(Messages(LoadConfigFile(file)), ElementsAre("cannot read configuration file \"" +
                                                          file + "\": No such file or directory"));
}

TEST_F(ConfigLoaderFile, DirectoryIsNotAFile) {
  EXPECT_THAT(Messages(LoadConfigFile(dir_.string())), ElementsAre(HasSubstr("Is a directory")));
}

TEST_F(ConfigLoaderFile, SyntaxErrorInAFile) {
  const auto file = dir_ / "bad.json";
  std::ofstream(file) << "{\n\n   \"listen\": \"a:1\",,\n}";
  EXPECT_THAT(Messages(LoadConfigFile(file.string())),
              ElementsAre(StartsWith("invalid JSON at line 3, column 20: ")));
}

}  // namespace
}  // namespace tributary::config
