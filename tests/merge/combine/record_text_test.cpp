// RenderText: the merged record's texts are exactly the canonical JSON of ToJson — what the
// store held before the texts were rendered directly, and what a stored record is compared with.
#include <gtest/gtest.h>

#include "common/json_text.hpp"
#include "merge/record.hpp"

namespace tributary::merge {
namespace {

using nlohmann::json;

TEST(RecordText, RendersTheCanonicalJsonOfTheRecord) {
  MergedRecord r;
  r.key = "k \"1\" \xff";
  r.fields = {{"name", "Türkiye"}, {"price", 10.5}, {"tags", {"a", "b"}}, {"none", nullptr},
              {"nested", {{"z", 1}, {"a", "\t"}}}};
  r.sources = {"b", "a\\x"};
  r.provenance["name"] = {"a", FromUnixMillis(1'700'000'000'123), {}};
  r.provenance["price"] = {"b", FromUnixMillis(-5), {"b", "a"}};
  r.provenance["é"] = {"c", FromUnixMillis(0), {}};
  r.conflicts.push_back({"price", {{"a", 10.5}, {"b", "10,50 €"}}});
  r.conflicts.push_back({"tags", {{"a", json::array()}, {"\xff", json::object()}}});

  const MergedRecordText text = RenderText(r);
  const json whole = ToJson(r);
  EXPECT_EQ(text.Whole(), CanonicalJson(whole));
  EXPECT_EQ(text.fields, CanonicalJson(whole["fields"]));
  EXPECT_EQ(text.sources, CanonicalJson(whole["sources"]));
  EXPECT_EQ(text.provenance, CanonicalJson(whole["provenance"]));
  EXPECT_EQ(text.conflicts, CanonicalJson(whole["conflicts"]));
  EXPECT_TRUE(text.has_conflicts);

  MergedRecord empty;
  empty.key = "e";
  EXPECT_EQ(RenderText(empty).Whole(), CanonicalJson(ToJson(empty)));
  EXPECT_FALSE(RenderText(empty).has_conflicts);
}

}  // namespace
}  // namespace tributary::merge
