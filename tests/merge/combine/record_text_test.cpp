// RenderText: the merged record's texts are exactly the canonical JSON of ToJson — what the
// store held before the texts were rendered directly, and what a stored record is compared with
// — but for a provenance whose fields all have the same entry, stored once (the shared form).
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

TEST(RecordText, StoresAProvenanceAllFieldsShareOnceAndReadsItBackForEach) {
  MergedRecord r;
  r.key = "k";
  r.fields = {{"name", "x"}, {"price", 1}, {"stock", nullptr}};
  for (const char* field : {"name", "price", "stock"}) {
    r.provenance[field] = {"a", FromUnixMillis(1'700'000'000'000), {}};
  }
  const MergedRecordText text = RenderText(r);
  EXPECT_EQ(text.provenance, R"([{"fetched_at":"2023-11-14T22:13:20.000Z","source":"a"}])");
  // Read back (the store, an as-of read): an entry for each field again, as the API shows it.
  const MergedRecord back = MergedRecordFromJson(json::parse(text.Whole()));
  EXPECT_EQ(back.provenance, r.provenance);
  EXPECT_EQ(ToJson(back), ToJson(r));
  EXPECT_EQ(RenderText(back).Whole(), text.Whole());

  // Entries that differ (here only in the sources vouching), or a field without an entry:
  // an entry for each field, as ToJson writes them.
  MergedRecord vouched = r;
  vouched.provenance["price"].from = {"a", "b"};
  EXPECT_EQ(RenderText(vouched).provenance, CanonicalJson(ToJson(vouched)["provenance"]));
  MergedRecord partial = r;
  partial.provenance.erase("stock");
  EXPECT_EQ(RenderText(partial).provenance, CanonicalJson(ToJson(partial)["provenance"]));
  EXPECT_EQ(MergedRecordFromJson(json::parse(RenderText(partial).Whole())).provenance,
            partial.provenance);

  // Lists that are not the shared form give no entries.
  for (const char* odd : {"[]", "[1]", R"([{"source":"a"},{"source":"b"}])"}) {
    EXPECT_TRUE(ProvenanceFromJson(json::parse(odd), r.fields).empty()) << odd;
  }
}

}  // namespace
}  // namespace tributary::merge
