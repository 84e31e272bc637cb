// The view pipeline's key index: which source records fall under each view key after renaming
// and normalisers, which keys a changed record touches, duplicates and records without a key.
#include "service/view_index.hpp"

#include <gtest/gtest.h>

#include <map>

#include "common/json_text.hpp"
#include "config/loader.hpp"

namespace tributary::service {
namespace {

using nlohmann::json;

config::ViewConfig View(const std::string& text) {
  std::vector<config::ConfigError> errors;
  auto view = config::ParseView(json::parse(text), "view", errors);
  EXPECT_TRUE(view.has_value()) << (errors.empty() ? "" : errors.front().ToString());
  return view.value_or(config::ViewConfig{});
}

// a keys by "code"; b names the same thing "iso" (renamed into the view's "code").
const char* kTwoSources = R"({"id": "v", "key": "code", "normalize": ["trim", "casefold"],
    "sources": ["a", {"id": "b", "fields": {"code": "iso"}}]})";

// Source records from {key: fields}, as a fetch would leave them.
SourceRecords Records(const std::string& id, const json& records) {
  merge::SourceSnapshot snapshot{id, FromUnixMillis(1000), {}};
  for (const auto& [key, fields] : records.items()) snapshot.records.push_back({key, fields});
  SourceRecords out;
  out.Apply(out.Compare(snapshot));
  return out;
}

// An entry's records as lists per source (by position), each sorted.
std::vector<std::vector<std::string>> BySource(const ViewIndex::Entry* entry, size_t sources) {
  std::vector<std::vector<std::string>> out(sources);
  if (entry == nullptr) return out;
  for (const auto& m : entry->members) out.at(m.source).push_back(m.key);
  return out;
}

// A record's change from fields `before` to `after` (nullopt: not there), as a diff carries it.
storage::ChangeText ChangeOf(const std::string& key, const std::optional<std::string>& before,
                             const std::optional<std::string>& after) {
  storage::ChangeText c;
  c.key = key;
  c.op = !before ? "added" : !after ? "removed" : "changed";
  c.before = before.value_or("null");
  c.after = after.value_or("null");
  return c;
}

// Applies one change as an update does: its view keys first (added to `touched`), then the
// change.
void SetChange(ViewIndex& index, size_t source, const storage::ChangeText& change,
               std::set<std::string>& touched) {
  index.Set(source, change, std::move(index.KeysOf(source, {change}, touched).front()));
}

// Sets records one after another as a source's diffs do: each change with the fields the
// record had before (nullptr: removed).
class Changes {
 public:
  explicit Changes(ViewIndex& index) : index_(index) {}
  std::set<std::string> Set(size_t source, const std::string& key, const json* fields) {
    std::set<std::string> touched;
    Set(source, key, fields, touched);
    return touched;
  }
  void Set(size_t source, const std::string& key, const json* fields,
           std::set<std::string>& touched) {
    std::optional<std::string>& before = last_[{source, key}];
    std::optional<std::string> after;
    if (fields != nullptr) after = CanonicalJson(*fields);
    SetChange(index_, source, ChangeOf(key, before, after), touched);
    before = std::move(after);
  }

 private:
  ViewIndex& index_;
  std::map<std::pair<size_t, std::string>, std::optional<std::string>> last_;
};

TEST(ViewIndex, BuildMatchesRecordsUnderNormalisedRenamedKeys) {
  ViewIndex index(View(kTwoSources));
  const auto a = Records("a", {{"1", {{"code", " FR "}}}, {"2", {{"code", "de"}}}});
  const auto b = Records("b", {{"x", {{"iso", "fr"}}}, {"y", {{"iso", "IT"}}}});
  index.Build({&a, &b});
  auto keys = index.Keys();
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"de", "fr", "it"}));
  const auto* fr = index.Find("fr");
  ASSERT_NE(fr, nullptr);
  EXPECT_EQ(BySource(fr, 2), (std::vector<std::vector<std::string>>{{"1"}, {"x"}}));
  EXPECT_EQ(index.KeyInfo("fr").sources, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(index.KeyInfo("it").sources, (std::vector<std::string>{"b"}));
  EXPECT_TRUE(index.KeyInfo("fr").duplicates.empty());
  EXPECT_EQ(index.Find("FR"), nullptr);  // keys are the normalised text
  EXPECT_EQ(index.SourceIndex("b"), 1u);
  EXPECT_EQ(index.SourceIndex("c"), std::nullopt);
  EXPECT_EQ(index.records_without_key(), 0u);
}

TEST(ViewIndex, DuplicatesAndRecordsWithoutKeyAreKept) {
  ViewIndex index(View(kTwoSources));
  // "2" and "3" normalise to the same view key; "4" has no code, "5" an empty one.
  const auto a = Records("a", {{"1", {{"code", "fr"}}},
                               {"3", {{"code", "DE"}}},
                               {"2", {{"code", "de "}}},
                               {"4", {{"name", "nowhere"}}},
                               {"5", {{"code", ""}}}});
  index.Build({&a, nullptr});
  const auto info = index.KeyInfo("de");
  EXPECT_EQ(info.sources, (std::vector<std::string>{"a"}));
  // Sorted: the first is the one merged, whatever order the records came in.
  EXPECT_EQ(info.duplicates, (std::map<std::string, std::vector<std::string>>{{"a", {"2", "3"}}}));
  EXPECT_EQ(index.Keyless(0), (std::set<std::string>{"4", "5"}));
  EXPECT_TRUE(index.Keyless(1).empty());
  EXPECT_EQ(index.records_without_key(), 2u);
}

TEST(ViewIndex, SetTouchesTheOldAndTheNewKey) {
  ViewIndex index(View(kTwoSources));
  Changes changes(index);
  const json fr = {{"code", "FR"}}, de = {{"code", "de"}}, none = {{"name", "x"}};
  const json fr_b = {{"iso", "fr"}};  // b's own field name
  EXPECT_EQ(changes.Set(0, "1", &fr), (std::set<std::string>{"fr"}));
  EXPECT_EQ(changes.Set(1, "x", &fr_b), (std::set<std::string>{"fr"}));
  // Same key, new content: the key is merged again.
  EXPECT_EQ(changes.Set(0, "1", &fr), (std::set<std::string>{"fr"}));
  // The record moves to another key: both are touched; fr keeps b's record.
  EXPECT_EQ(changes.Set(0, "1", &de), (std::set<std::string>{"fr", "de"}));
  ASSERT_NE(index.Find("fr"), nullptr);
  EXPECT_TRUE(BySource(index.Find("fr"), 2)[0].empty());
  // It loses its key: de has no record left and goes; the record is keyless.
  EXPECT_EQ(changes.Set(0, "1", &none), (std::set<std::string>{"de"}));
  EXPECT_EQ(index.Find("de"), nullptr);
  EXPECT_EQ(index.Keyless(0), (std::set<std::string>{"1"}));
  // It gets a key again: no longer keyless.
  EXPECT_EQ(changes.Set(0, "1", &fr), (std::set<std::string>{"fr"}));
  EXPECT_TRUE(index.Keyless(0).empty());
  // Removed (nullptr): touched, and neither indexed nor keyless.
  EXPECT_EQ(changes.Set(0, "1", nullptr), (std::set<std::string>{"fr"}));
  EXPECT_EQ(changes.Set(0, "1", &none), (std::set<std::string>{}));
  EXPECT_EQ(changes.Set(0, "1", nullptr), (std::set<std::string>{}));
  EXPECT_TRUE(index.Keyless(0).empty());
  EXPECT_EQ(BySource(index.Find("fr"), 2), (std::vector<std::vector<std::string>>{{}, {"x"}}));
}

TEST(ViewIndex, IncrementalSetsEqualABuild) {
  const auto view = View(kTwoSources);
  const json one = {{"1", {{"code", "fr"}}}, {"2", {{"code", "de"}}}, {"3", {{"x", 1}}}};
  const json two = {{"1", {{"code", "it"}}}, {"3", {{"code", "DE"}}}, {"4", {{"code", "fr"}}}};
  ViewIndex incremental(view);
  Changes changes(incremental);
  std::set<std::string> touched;
  for (const auto& [key, fields] : one.items()) changes.Set(0, key, &fields, touched);
  // The second snapshot: 2 removed, the others changed or added.
  changes.Set(0, "2", nullptr, touched);
  for (const auto& [key, fields] : two.items()) changes.Set(0, key, &fields, touched);
  ViewIndex built(view);
  const auto records = Records("a", two);
  built.Build({&records, nullptr});
  auto a = incremental.Keys(), b = built.Keys();
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
  for (const auto& key : a) {
    EXPECT_EQ(BySource(incremental.Find(key), 2), BySource(built.Find(key), 2)) << key;
    // A built index knows where the source keeps each record (a walk reads it from there);
    // records set one by one are looked up.
    for (const auto& m : built.Find(key)->members) {
      EXPECT_NE(m.hint, SourceRecords::kNoHint) << m.key;
      EXPECT_EQ(records.FindHinted(m.key, m.hint)->fields, records.Find(m.key)->fields) << m.key;
    }
    for (const auto& m : incremental.Find(key)->members) {
      EXPECT_EQ(m.hint, SourceRecords::kNoHint) << m.key;
    }
  }
  EXPECT_EQ(incremental.Keyless(0), built.Keyless(0));
}

TEST(ViewIndex, SharedKeysAreThoseAnotherSourceHasToo) {
  ViewIndex index(View(kTwoSources));
  SourceRecords a = Records("a", {{"1", {{"code", "fr"}}}, {"2", {{"code", "de"}}}});
  json b_records = {{"x", {{"iso", "fr"}}}, {"y", {{"iso", "it"}}}};
  for (int i = 0; i < 30; ++i) b_records["b" + std::to_string(i)] = {{"iso", std::to_string(i)}};
  SourceRecords b = Records("b", b_records);
  index.Build({&a, &b});
  // a has few records next to the view's keys (they are looked up), b many (entries read).
  std::set<std::string> shared;
  index.SharedKeys(0, a, shared);
  EXPECT_EQ(shared, (std::set<std::string>{"fr"}));
  shared.clear();
  index.SharedKeys(1, b, shared);
  EXPECT_EQ(shared, (std::set<std::string>{"fr"}));
  // a's record moves from fr to it: it is shared there now, and fr no longer.
  const auto next = merge::SourceSnapshot{
      "a", FromUnixMillis(2000), {{"1", {{"code", "it"}}}, {"2", {{"code", "de"}}}}};
  const auto diff = a.Compare(next);
  std::set<std::string> touched;
  for (const auto& change : diff.update.changes) SetChange(index, 0, change, touched);
  a.Apply(diff);
  EXPECT_EQ(touched, (std::set<std::string>{"fr", "it"}));
  for (size_t source : {0, 1}) {
    shared.clear();
    index.SharedKeys(source, source == 0 ? a : b, shared);
    EXPECT_EQ(shared, (std::set<std::string>{"it"})) << source;
  }
}

// As the pipeline does it: each change of a source's diff set with the texts Compare gives
// (the stored record's before the change), then the diff applied. The index then equals one
// built from the new records: keys moved (under a renamed, normalised field), lost and
// gained, records removed (keyed or not), a duplicate key in the snapshot (its first taken).
TEST(ViewIndex, ChangesOfASourcesDiffsEqualABuild) {
  const auto view = View(kTwoSources);
  SourceRecords a = Records("a", {{"1", {{"code", "fr"}}},
                                  {"2", {{"code", "de"}}},
                                  {"3", {{"x", 1}}},
                                  {"4", {{"x", 2}}},
                                  {"5", {{"code", "es"}}}});
  const SourceRecords b = Records("b", {{"x", {{"iso", "FR"}}}, {"y", {{"iso", "it"}}}});
  ViewIndex incremental(view);
  incremental.Build({&a, &b});
  merge::SourceSnapshot next{"a", FromUnixMillis(2000), {}};
  next.records.push_back({"1", {{"code", " IT "}}});  // moves to another key
  next.records.push_back({"2", {{"y", 1}}});          // loses its key
  next.records.push_back({"3", {{"code", "de"}}});    // gains one
  next.records.push_back({"6", {{"code", "fr"}}});    // new
  next.records.push_back({"6", {{"code", "pt"}}});    // duplicate: ignored
  // 4 (keyless) and 5 (keyed) are removed.
  for (int round = 0; round < 2; ++round) {  // the second: nothing changes
    const auto diff = a.Compare(next);
    std::set<std::string> touched;
    for (const auto& change : diff.update.changes) SetChange(incremental, 0, change, touched);
    a.Apply(diff);
    if (round == 1) {
      EXPECT_TRUE(touched.empty());
    }
  }
  ViewIndex built(view);
  built.Build({&a, &b});
  auto keys = incremental.Keys(), expected = built.Keys();
  std::sort(keys.begin(), keys.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(keys, (std::vector<std::string>{"de", "fr", "it"}));
  for (const auto& key : keys) {
    EXPECT_EQ(BySource(incremental.Find(key), 2), BySource(built.Find(key), 2)) << key;
  }
  EXPECT_EQ(BySource(incremental.Find("fr"), 2),
            (std::vector<std::vector<std::string>>{{"6"}, {"x"}}));
  EXPECT_EQ(incremental.Keyless(0), built.Keyless(0));
  EXPECT_EQ(incremental.Keyless(0), (std::set<std::string>{"2"}));
}

// A full merge's walk: every key with records once, in bodies bounded by key count or size,
// each item what AppendMergeItem writes for that key (its records, its stored merged record).
TEST(ViewIndex, AppendEntriesWalksEveryKeyOnceInBoundedBodies) {
  const auto view = View(kTwoSources);
  json a_records = json::object(), b_records = json::object();
  for (int i = 0; i < 300; ++i) {
    a_records[std::to_string(i)] = {{"code", "k" + std::to_string(i % 250)}, {"n", i}};
    if (i % 3 == 0) b_records["b" + std::to_string(i)] = {{"iso", "K" + std::to_string(i)}};
  }
  a_records["nokey"] = {{"n", 1}};
  const auto a = Records("a", a_records);
  const auto b = Records("b", b_records);
  ViewIndex index(view);
  index.Build({&a, &b});
  // Some keys lose one of their records, some lose all (free places inside the walk), and one
  // has a stored record.
  std::set<std::string> touched;
  auto remove_b = [&](int i) {
    const std::string key = "b" + std::to_string(i);
    SetChange(index, 1, ChangeOf(key, CanonicalJson(b_records[key]), std::nullopt), touched);
  };
  for (int i = 0; i < 40; ++i) remove_b(i * 3);
  for (int i = 252; i < 300; i += 6) remove_b(i);
  size_t free_places = 0;
  for (ViewIndex::EntryId id = 0; id < index.entry_id_end(); ++id) {
    free_places += index.EntryAt(id) == nullptr ? 1 : 0;
  }
  EXPECT_EQ(free_places, 8u);
  index.merged()["k7"] = R"({"fields":{}})";
  const std::vector<const SourceRecords*> sources{&a, &b};
  for (const auto& [max_bytes, max_keys] :
       {std::pair<size_t, size_t>{1u << 20, 7}, {1u << 20, 1000}, {600, 1000}, {1, 1000}}) {
    std::vector<std::string> walked;
    size_t bodies = 0;
    for (ViewIndex::EntryId next = 0; next < index.entry_id_end();) {
      std::string body, expected;
      size_t keys = 0;
      next = index.AppendEntries(body, next, max_bytes, max_keys, sources,
                                 [&](std::string_view key, const ViewIndex::Entry& entry) {
                                   EXPECT_EQ(&entry, index.Find(key));
                                   // An item starts only while the body is under the limit.
                                   EXPECT_LT(expected.size(), max_bytes);
                                   walked.emplace_back(key);
                                   index.AppendMergeItem(expected, key, &entry, sources);
                                   ++keys;
                                 });
      EXPECT_EQ(body, expected);
      EXPECT_LE(keys, max_keys);
      ++bodies;
    }
    std::vector<std::string> all = index.Keys();
    std::sort(all.begin(), all.end());
    std::vector<std::string> sorted = walked;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, all) << max_bytes << " " << max_keys;
    EXPECT_EQ(walked.size(), index.size());
    if (max_keys == 7) {
      EXPECT_EQ(bodies, (index.size() + 6) / 7);
    }
    if (max_bytes == 1) {
      EXPECT_EQ(bodies, index.size());  // one item per body
    }
  }
  // With nothing stored (a view's first merge) a walk gives each key's items without a
  // stored record; with k7's record stored, the walk gives it with k7's item.
  const FlatStringMap<std::string> stored = index.merged();
  index.merged() = FlatStringMap<std::string>();
  std::string nothing_stored;
  for (ViewIndex::EntryId id = 0; id < index.entry_id_end(); ++id) {
    if (index.EntryAt(id)) {
      index.AppendMergeItem(nothing_stored, index.KeyAt(id), index.EntryAt(id), sources);
    }
  }
  for (const bool with_stored : {false, true}) {
    index.merged() = with_stored ? stored : FlatStringMap<std::string>();
    std::string body;
    for (ViewIndex::EntryId next = 0; next < index.entry_id_end();) {
      next = index.AppendEntries(body, next, 1u << 20, 5, sources,
                                 [](std::string_view, const ViewIndex::Entry&) {});
    }
    EXPECT_EQ(body == nothing_stored, !with_stored);
    EXPECT_EQ(body.find(R"({"fields":{}})") != std::string::npos, with_stored);
  }
  // The records of many keys at once (an update's, taken before it), batch after batch, are
  // those of each key alone; a key without records (removed above, or never there) has none.
  std::set<std::string> keys{"b0", "b3", "nowhere"};
  for (const std::string& key : index.Keys()) keys.insert(key);
  std::string records;
  std::vector<size_t> at{7};  // appended to, as any other vector
  index.AppendRecordsOf(keys, sources, records, at);
  ASSERT_EQ(at.size(), keys.size() + 2);
  EXPECT_EQ(at[1], 0u);
  EXPECT_EQ(at.back(), records.size());
  std::string no_records;
  merge::combine::AppendMergeRecords(no_records, {});
  size_t i = 1;
  for (const std::string& key : keys) {
    std::string alone;
    std::vector<size_t> alone_at;
    index.AppendRecordsOf({key}, sources, alone, alone_at);
    EXPECT_EQ(records.substr(at[i], at[i + 1] - at[i]), alone) << key;
    EXPECT_EQ(alone == no_records, key == "nowhere" || key == "b0" || key == "b3") << key;
    ++i;
  }
}

TEST(ViewIndex, CompositeKeysSeparateRecordsThatShareOnePart) {
  ViewIndex index(View(R"({"id": "v", "key": ["title", "year"], "sources": ["a"],
      "normalize": {"title": ["casefold"]}})"));
  const auto a = Records("a", {{"1", {{"title", "The Star-Touched Queen"}, {"year", 2016}}},
                               {"2", {{"title", "the star-touched queen"}, {"year", 2017}}},
                               {"3", {{"title", "No Year"}}}});
  index.Build({&a});
  EXPECT_EQ(index.Keys().size(), 2u);
  EXPECT_NE(index.Find(R"(["the star-touched queen","2016"])"), nullptr);
  EXPECT_NE(index.Find(R"(["the star-touched queen","2017"])"), nullptr);
  EXPECT_EQ(index.Keyless(0), (std::set<std::string>{"3"}));  // one part missing: no key
}

}  // namespace
}  // namespace tributary::service
