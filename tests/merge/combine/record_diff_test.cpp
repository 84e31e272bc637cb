// Change detection between record versions and snapshots.
#include "merge/combine/record_diff.hpp"

#include <gtest/gtest.h>

#include <random>

#include "common/json_text.hpp"

namespace tributary::merge::combine {
namespace {

using nlohmann::json;

TEST(RecordDiff, FieldLevelBeforeAndAfter) {
  const auto changes = DiffFields(json{{"a", 1}, {"b", "x"}, {"gone", true}},
                                  json{{"a", 1}, {"b", "y"}, {"new", json::array({1})}});
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].field, "b");
  EXPECT_EQ(changes[0].before, "x");
  EXPECT_EQ(changes[0].after, "y");
  EXPECT_EQ(changes[1].field, "gone");
  EXPECT_EQ(changes[1].after, nullptr);
  EXPECT_EQ(changes[2].field, "new");
  EXPECT_EQ(changes[2].before, nullptr);
  EXPECT_TRUE(DiffFields(json{{"a", 1}}, json{{"a", 1}}).empty());
}

TEST(RecordDiff, SnapshotsAddedRemovedChanged) {
  const std::vector<Record> before = {{"1", {{"v", 1}}}, {"2", {{"v", 2}}}, {"3", {{"v", 3}}}};
  const std::vector<Record> after = {
      {"4", {{"v", 4}}}, {"2", {{"v", 20}}}, {"3", {{"v", 3}}}, {"4", {{"v", 40}}}};
  const auto changes = DiffRecords(before, after);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].key, "1");
  EXPECT_EQ(changes[0].kind, ChangeKind::kRemoved);
  EXPECT_EQ(changes[0].before, json({{"v", 1}}));
  EXPECT_EQ(changes[0].after, nullptr);
  EXPECT_EQ(changes[1].key, "2");
  EXPECT_EQ(changes[1].kind, ChangeKind::kChanged);
  ASSERT_EQ(changes[1].fields.size(), 1u);
  EXPECT_EQ(changes[1].fields[0].before, 1 + 1);
  EXPECT_EQ(changes[1].fields[0].after, 20);
  EXPECT_EQ(changes[2].key, "4");
  EXPECT_EQ(changes[2].kind, ChangeKind::kAdded);
  EXPECT_EQ(changes[2].after, json({{"v", 4}}));  // a later duplicate key is ignored
  EXPECT_EQ(ToJson(changes[1]),
            json::parse(R"({"key":"2","op":"changed","before":{"v":2},"after":{"v":20},
                            "fields":{"v":{"before":2,"after":20}}})"));
}

// DiffFields' JSON form as canonical text: what the text diff must write, byte for byte.
std::string TreeDiffText(const json& before, const json& after) {
  json out = json::object();
  for (const auto& f : DiffFields(before, after)) {
    out[f.field] = {{"before", f.before}, {"after", f.after}};
  }
  return CanonicalJson(out);
}

// Random records over a few names (some non-ASCII, some sharing a prefix) with values of every
// kind, nulls and missing fields: the text diff writes what the tree diff's text is.
TEST(RecordDiff, TextDiffWritesWhatTheTreeDiffWrites) {
  const std::vector<std::string> names = {"a", "ab",  "b",     "price", "\u00e9t\u00e9",
                                          "z", "Zed", "\u4e2d"};
  const std::vector<json> values = {nullptr,
                                    1,
                                    1.0,
                                    0.0,
                                    -0.0,
                                    2,
                                    -3,
                                    "x",
                                    "y",
                                    "",
                                    true,
                                    false,
                                    1.5,
                                    json::array(),
                                    json{1, "2"},
                                    json::object(),
                                    json{{"in", 1}},
                                    "caf\u00e9 \"q\""};
  std::mt19937 rng(11);
  auto record = [&] {
    json r = json::object();
    for (const auto& name : names) {
      if (rng() % 3 != 0) r[name] = values[rng() % values.size()];
    }
    return r;
  };
  std::string out, exact;
  size_t answered = 0;
  for (int i = 0; i < 3000; ++i) {
    const json before = i % 10 == 0 ? json(nullptr) : record();
    const json after = i % 10 == 1 ? json(nullptr) : i % 4 == 0 ? before : record();
    ASSERT_TRUE(DiffFieldsText(CanonicalJson(before), CanonicalJson(after), out))
        << before << " " << after;
    // The exact one, where it answers, answers as the trees do; so does the other then (they
    // differ only on numbers of another type, 1 and 1.0, or the float zeros, which it declines).
    if (DiffFieldsTextExact(CanonicalJson(before), CanonicalJson(after), exact)) {
      ++answered;
      EXPECT_EQ(exact, TreeDiffText(before, after)) << before << " " << after;
      EXPECT_EQ(out, exact) << before << " " << after;
    }
  }
  EXPECT_GT(answered, 1000u);
}

TEST(RecordDiff, TextDiffDeclinesWhatItCannotReadForCertain) {
  std::string out;
  EXPECT_FALSE(DiffFieldsText(R"({"a\"b":1})", R"({"a":1})", out));  // a name with an escape
  EXPECT_FALSE(DiffFieldsText("[1]", R"({"a":1})", out));            // not an object
  EXPECT_FALSE(DiffFieldsText(R"({"a":1})", R"({"a":)", out));       // cut short
  // FieldDiffText diffs such texts by their trees.
  EXPECT_EQ(FieldDiffText(R"({"a\"b":1})", R"({"a":1})"),
            TreeDiffText(json{{"a\"b", 1}}, json{{"a", 1}}));
  EXPECT_EQ(FieldDiffText(R"({"a":1})", "null"), TreeDiffText(json{{"a", 1}}, nullptr));
  // Numbers of another type: the trees call 1 and 1.0 equal, the texts do not.
  ASSERT_TRUE(DiffFieldsText(R"({"n":1})", R"({"n":1.0})", out));
  EXPECT_EQ(out, R"({"n":{"after":1.0,"before":1}})");
  // The exact one leaves them to the trees, the float zeros too, and lists or objects that
  // differ (they may hold such numbers); other values it tells apart by their texts.
  EXPECT_FALSE(DiffFieldsTextExact(R"({"n":1})", R"({"n":1.0})", out));
  EXPECT_FALSE(DiffFieldsTextExact(R"({"n":2.0})", R"({"n":2})", out));
  EXPECT_FALSE(DiffFieldsTextExact(R"({"n":-0.0})", R"({"n":0.0})", out));
  ASSERT_TRUE(
      DiffFieldsTextExact(R"({"a":2.5,"b":3,"c":1e+300})", R"({"a":2.75,"b":-3,"c":1e+301})", out));
  EXPECT_EQ(out, TreeDiffText(json::parse(R"({"a":2.5,"b":3,"c":1e+300})"),
                              json::parse(R"({"a":2.75,"b":-3,"c":1e+301})")));
  EXPECT_FALSE(DiffFieldsTextExact(R"({"n":[1]})", R"({"n":[1.0]})", out));
  EXPECT_FALSE(DiffFieldsTextExact(R"({"n":{"a":1}})", R"({"n":{"a":2}})", out));
  ASSERT_TRUE(DiffFieldsTextExact(R"({"n":1,"s":"a"})", R"({"n":"1","s":"b"})", out));
  EXPECT_EQ(out, R"({"n":{"after":"1","before":1},"s":{"after":"b","before":"a"}})");
  ASSERT_TRUE(DiffFieldsTextExact(R"({"n":1})", "null", out));
  EXPECT_EQ(out, R"({"n":{"after":null,"before":1}})");
}

}  // namespace
}  // namespace tributary::merge::combine
