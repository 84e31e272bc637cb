// The compared record (merge/combine/compared_record.hpp): what a merge job compares a key's new
// merge with. Its provenance hash must ignore exactly the provenance times, read the same
// whether the provenance text is scanned or parsed, and come back from the compared record.
#include "merge/combine/compared_record.hpp"

#include <gtest/gtest.h>

#include "common/json_text.hpp"

namespace tributary::merge::combine {
namespace {

using nlohmann::json;

MergedRecord Record(SystemTime at) {
  MergedRecord r;
  r.key = "k";
  r.fields = {{"name", "Dune"}, {"price", 10.5}};
  r.sources = {"a", "b"};
  r.provenance["name"] = {"a", at, {}};
  r.provenance["price"] = {"b", at, {"b", "a"}};
  r.conflicts.push_back({"price", {{"a", 10}, {"b", 10.5}}});
  return r;
}

TEST(ComparedRecord, HoldsTheRecordWithoutKeyAndWithItsProvenanceHashed) {
  const MergedRecordText text = RenderText(Record(FromUnixMillis(1'700'000'000'000)));
  const std::string compared = ComparedRecordText(text).value_or("");
  const json parsed = json::parse(compared);
  EXPECT_EQ(CanonicalJson(parsed), compared);  // canonical, as the worker's text scan needs
  EXPECT_EQ(parsed.size(), 4u);
  EXPECT_EQ(CanonicalJson(parsed["fields"]), text.fields);
  EXPECT_EQ(CanonicalJson(parsed["sources"]), text.sources);
  EXPECT_EQ(CanonicalJson(parsed["conflicts"]), text.conflicts);
  ASSERT_TRUE(parsed["provenance"].is_string());
  EXPECT_EQ(parsed["provenance"].get<std::string>().size(), 16u);
  // The hash it carries is the whole record's provenance hash.
  const auto hash = ProvenanceSourcesHash(text.provenance);
  ASSERT_TRUE(hash.has_value());
  EXPECT_EQ(StoredProvenanceHash(CanonicalJson(parsed["provenance"])), hash);
  EXPECT_EQ(StoredProvenanceHash(text.provenance), hash);
  EXPECT_LT(compared.size(), text.Whole().size());
}

TEST(ComparedRecord, TheProvenanceHashIgnoresTimesAndNothingElse) {
  const auto early = ProvenanceSourcesHash(RenderText(Record(FromUnixMillis(1))).provenance);
  const auto late = ProvenanceSourcesHash(RenderText(Record(FromUnixMillis(2))).provenance);
  ASSERT_TRUE(early.has_value());
  EXPECT_EQ(early, late);
  // Another source, another vouching list, another field: another hash.
  MergedRecord other = Record(FromUnixMillis(1));
  other.provenance["name"].source = "b";
  EXPECT_NE(ProvenanceSourcesHash(RenderText(other).provenance), early);
  other = Record(FromUnixMillis(1));
  other.provenance["price"].from = {"b"};
  EXPECT_NE(ProvenanceSourcesHash(RenderText(other).provenance), early);
  other = Record(FromUnixMillis(1));
  other.provenance["stock"] = {"a", FromUnixMillis(1), {}};
  EXPECT_NE(ProvenanceSourcesHash(RenderText(other).provenance), early);
}

TEST(ComparedRecord, CanonicalProvenancesHashAlikeWithoutTimes) {
  const std::string canonical =
      R"({"a":{"fetched_at":"2026-01-01T00:00:00.000Z","source":"x"},"b":{"fetched_at":"t","from":["x","y"],"source":"y"}})";
  const auto hash = ProvenanceSourcesHash(canonical);
  ASSERT_TRUE(hash.has_value());
  // Other times, no times, an empty "from" list: the same provenance.
  for (const std::string& same : {
           std::string(R"({"a":{"fetched_at":"x","source":"x"},"b":{"fetched_at":"","from":["x","y"],"source":"y"}})"),
           std::string(R"({"a":{"source":"x"},"b":{"from":["x","y"],"source":"y"}})"),
           std::string(R"({"a":{"fetched_at":"t","from":[],"source":"x"},"b":{"from":["x","y"],"source":"y"}})"),
       }) {
    EXPECT_EQ(ProvenanceSourcesHash(same), hash) << same;
  }
  // A source or a field name that holds the words is not a time: what follows still counts.
  EXPECT_NE(ProvenanceSourcesHash(R"({"a":{"source":"{\"fetched_at\":\"1"}})"),
            ProvenanceSourcesHash(R"({"a":{"source":"{\"fetched_at\":\"2"}})"));
  EXPECT_NE(ProvenanceSourcesHash(R"({"{\"fetched_at\":\"1":{"source":"x"}})"),
            ProvenanceSourcesHash(R"({"{\"fetched_at\":\"2":{"source":"x"}})"));
  EXPECT_NE(ProvenanceSourcesHash(R"({"a":{"source":"x"},"b":{"from":["y","x"],"source":"y"}})"),
            hash);
  // A text that is not an object's braces is parsed (here: the same provenance with spaces).
  EXPECT_EQ(ProvenanceSourcesHash(
                R"( { "a" : {"source":"x"} , "b":{"fetched_at":"t","from":["x","y"],"source":"y"}})"),
            hash);
  // The shared form (one entry for every field): the same without times, apart from the
  // entry by field, and from another source's.
  const auto shared =
      ProvenanceSourcesHash(R"([{"fetched_at":"2026-01-01T00:00:00.000Z","source":"x"}])");
  ASSERT_TRUE(shared.has_value());
  EXPECT_EQ(ProvenanceSourcesHash(R"([{"fetched_at":"t","from":[],"source":"x"}])"), shared);
  EXPECT_EQ(ProvenanceSourcesHash(R"( [ {"source" : "x"} ] )"), shared);
  EXPECT_NE(ProvenanceSourcesHash(R"([{"fetched_at":"t","source":"y"}])"), shared);
  EXPECT_NE(ProvenanceSourcesHash(R"({"a":{"fetched_at":"t","source":"x"}})"), shared);
  // Neither an object nor one entry in a list: no hash (the merge job then stores the record
  // again).
  for (const char* bad :
       {"null", "[]", "[1]", "\"0123456789abcdeg\"", "{\"a\":", "", "{\"fetched_at\":\"}"}) {
    EXPECT_FALSE(StoredProvenanceHash(bad).has_value()) << bad;
  }
  EXPECT_EQ(StoredProvenanceHash("\"00000000000000ff\""), std::optional<uint64_t>(255));
}

}  // namespace
}  // namespace tributary::merge::combine
