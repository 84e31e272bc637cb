// View definitions: ids, their sources and renames, the key and its default, ParseView.
#include "config/loader.hpp"

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
using ::testing::StartsWith;

// Two sources: "books" (title, price; key title) and "sheet" (name, stock; key name).
LoadResult WithViews(const std::string& views) {
  return Parse(R"({"sources": [
      {"id": "books", "url": "http://x/", "key": "title", "fields": {"title": "h3", "price": "p"}},
      {"id": "sheet", "url": "http://y/", "key": "name", "fields": {"name": "A", "stock": "B"}}],
    "views": [)" +
               views + "]}");
}

TEST(ConfigView, SourcesByIdAndByObject) {
  const auto result = WithViews(
      R"({"id": "all", "sources": ["books", {"id": "sheet", "fields": {"title": "name"}}]})");
  ASSERT_THAT(Messages(result), IsEmpty());
  const ViewConfig& v = result.config->views[0];
  EXPECT_EQ(v.id, "all");
  ASSERT_EQ(v.sources.size(), 2u);
  EXPECT_EQ(v.sources[0], (ViewSourceRef{"books", {}}));
  EXPECT_EQ(v.sources[1], (ViewSourceRef{"sheet", {{"title", "name"}}}));
}

TEST(ConfigView, UnknownSourceSuggests) {
  EXPECT_THAT(Messages(WithViews(R"({"id": "v", "sources": ["books", "shet"]})")),
              ElementsAre("views[0].sources[1]: unknown source \"shet\"; did you mean "
                          "\"sheet\"?"));
  EXPECT_THAT(Messages(WithViews(R"({"id": "v", "sources": ["books", {"id": "boks"}]})")),
              ElementsAre("views[0].sources[1].id: unknown source \"boks\"; did you mean "
                          "\"books\"?"));
  EXPECT_THAT(Messages(WithViews(R"({"id": "v", "sources": ["zzzzzz"]})")),
              ElementsAre("views[0].sources[0]: unknown source \"zzzzzz\"; known sources are "
                          "books, sheet"));
  EXPECT_THAT(Messages(Parse(R"({"views": [{"id": "v", "sources": ["a"]}]})")),
              ElementsAre("views[0].sources[0]: unknown source \"a\"; no sources are defined"));
}

TEST(ConfigView, SourceWithErrorsGetsNoFollowUpErrors) {
  // "books" is declared but broken: its own error is the only one, not "unknown source".
  EXPECT_THAT(Messages(Parse(R"({"sources": [{"id": "books", "url": "http://x/", "key": "t",
                                 "fields": {"t": 1}}],
                                 "views": [{"id": "v", "sources": ["books"]}]})")),
              ElementsAre(StartsWith("sources[0].fields.t: expected a selector string")));
}

TEST(ConfigView, ShapeErrors) {
  EXPECT_THAT(Messages(WithViews(R"({"id": "v", "sources": []})")),
              ElementsAre("views[0].sources: must list at least one source"));
  EXPECT_THAT(Messages(WithViews(R"({"id": "v"})")),
              ElementsAre("views[0]: missing required key \"sources\""));
  EXPECT_THAT(Messages(WithViews(R"({"sources": ["books"]})")),
              ElementsAre("views[0]: missing required key \"id\""));
  EXPECT_THAT(Messages(WithViews(R"({"id": "v", "sources": "books"})")),
              ElementsAre("views[0].sources: expected an array, got string"));
  EXPECT_THAT(Messages(WithViews(R"({"id": "v", "sources": [1]})")),
              ElementsAre("views[0].sources[0]: expected a source id or an object, got integer"));
  EXPECT_THAT(Messages(WithViews(R"({"id": "v", "sources": [{"fields": {}}]})")),
              ElementsAre("views[0].sources[0]: missing required key \"id\""));
  EXPECT_THAT(
      Messages(WithViews(R"({"id": "v", "sources": [{"id": "books", "fields": {"a": 1}}]})")),
      ElementsAre("views[0].sources[0].fields.a: expected a string, got integer"));
  EXPECT_THAT(Messages(WithViews(R"("v")")),
              ElementsAre("views[0]: expected an object, got string"));
  EXPECT_THAT(Messages(Parse(R"({"views": {}})")),
              ElementsAre("views: expected an array, got object"));
}

TEST(ConfigView, UnknownKeysSuggest) {
  EXPECT_THAT(Messages(WithViews(R"({"id": "v", "sources": ["books"], "sorces": []})")),
              ElementsAre("views[0].sorces: unknown key \"sorces\"; did you mean \"sources\"?"));
  EXPECT_THAT(
      Messages(WithViews(R"({"id": "v", "sources": [{"id": "books", "feilds": {}}]})")),
      ElementsAre("views[0].sources[0].feilds: unknown key \"feilds\"; did you mean \"fields\"?"));
}

TEST(ConfigView, Ids) {
  EXPECT_THAT(Messages(WithViews(R"({"id": "a view", "sources": ["books"]})")),
              ElementsAre(StartsWith("views[0].id: invalid id \"a view\"; use 1 to 64")));
  EXPECT_THAT(Messages(WithViews(R"({"id": "v", "sources": ["books"]},
                                    {"id": "v", "sources": ["sheet"]})")),
              ElementsAre("views[1].id: duplicate view id \"v\" (also views[0])"));
  // A view may share its id with a source.
  EXPECT_THAT(Messages(WithViews(R"({"id": "books", "sources": ["books"]})")), IsEmpty());
}

TEST(ConfigView, DuplicateSourceInOneView) {
  EXPECT_THAT(Messages(WithViews(R"({"id": "v", "sources": ["books", "sheet",
                                     {"id": "books"}]})")),
              ElementsAre("views[0].sources[2]: source \"books\" is listed twice in this view "
                          "(also at views[0].sources[0])"));
}

TEST(ConfigView, RenamesMustNameSourceFields) {
  EXPECT_THAT(
      Messages(WithViews(
          R"({"id": "v", "sources": ["books", {"id": "sheet", "fields": {"title": "nam"}}]})")),
      ElementsAre("views[0].sources[1].fields.title: \"nam\" is not a field of source "
                  "\"sheet\"; did you mean \"name\"?"));
}

TEST(ConfigView, KeyDefaultsToTheFirstSourcesKey) {
  const auto result = WithViews(R"({"id": "v", "sources": ["books"]})");
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.config->views[0].key, std::vector<std::string>{"title"});
  // Written into the definition, so a worker sees the same key.
  EXPECT_EQ(result.config->views[0].definition["key"], json("title"));
}

TEST(ConfigView, KeyDefaultFollowsTheFirstSourcesRenames) {
  // sheet's key "name" is called "title" in this view.
  const auto result = WithViews(
      R"({"id": "v", "sources": [{"id": "sheet", "fields": {"title": "name"}}, "books"]})");
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.config->views[0].key, std::vector<std::string>{"title"});
}

TEST(ConfigView, CompositeKeyDefault) {
  const auto result = Parse(R"({"sources": [{"id": "a", "url": "http://x/", "key": ["t", "y"],
      "fields": {"t": "1", "y": "2"}}], "views": [{"id": "v", "sources": [
      {"id": "a", "fields": {"year": "y"}}]}]})");
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.config->views[0].key, (std::vector<std::string>{"t", "year"}));
  EXPECT_EQ(result.config->views[0].definition["key"], json::array({"t", "year"}));
}

TEST(ConfigView, EverySourceMustProvideTheKey) {
  EXPECT_THAT(Messages(WithViews(R"({"id": "v", "sources": ["books", "sheet"]})")),
              ElementsAre("views[0].sources[1]: source \"sheet\" has no field \"title\" for the "
                          "view's key; map one of its fields to it with \"fields\": {\"title\": "
                          "\"<its field>\"}"));
  // A source whose key field is renamed away no longer provides it under the old name.
  EXPECT_THAT(Messages(WithViews(R"({"id": "v", "key": "title", "sources": [
                                     {"id": "books", "fields": {"name": "title"}}]})")),
              ElementsAre(HasSubstr("views[0].sources[0]: source \"books\" has no field "
                                    "\"title\"")));
}

TEST(ConfigView, ExplicitKey) {
  const auto result = WithViews(
      R"({"id": "v", "key": ["title", "price"],
          "sources": ["books", {"id": "sheet", "fields": {"title": "name", "price": "stock"}}]})");
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.config->views[0].key, (std::vector<std::string>{"title", "price"}));
  EXPECT_THAT(Messages(WithViews(R"({"id": "v", "key": [], "sources": ["books"]})")),
              ElementsAre("views[0].key: must name at least one field"));
}

TEST(ConfigView, ParseViewRoundTripsTheDefinition) {
  const auto result = WithViews(
      R"({"id": "v", "sources": [{"id": "sheet", "fields": {"title": "name"}}, "books"]})");
  ASSERT_THAT(Messages(result), IsEmpty());
  const ViewConfig& loaded = result.config->views[0];
  std::vector<ConfigError> errors;
  const auto again = ParseView(json::parse(loaded.definition.dump()), "view", errors);
  ASSERT_THAT(Messages(errors), IsEmpty());
  EXPECT_EQ(again->id, loaded.id);
  EXPECT_EQ(again->sources, loaded.sources);
  EXPECT_EQ(again->key, loaded.key);
}

TEST(ConfigView, ParseViewAloneDoesNotKnowTheSources) {
  // Workers parse a view without the rest of the file: references are the daemon's job.
  std::vector<ConfigError> errors;
  const auto v =
      ParseView(json{{"id", "v"}, {"sources", {"anything"}}, {"key", "k"}}, "view", errors);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->sources[0].id, "anything");
  EXPECT_FALSE(ParseView(json{{"id", "v"}, {"sources", json::array()}}, "view", errors));
  EXPECT_THAT(Messages(errors), ElementsAre("view.sources: must list at least one source"));
}

}  // namespace
}  // namespace tributary::config
