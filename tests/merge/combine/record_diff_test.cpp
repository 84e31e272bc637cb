// Change detection between record versions and snapshots.
#include "merge/combine/record_diff.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace tributary::merge::combine
