#include "common/flat_string_map.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace tributary {
namespace {

TEST(FlatStringMapTest, FindsWhatWasInsertedAndNothingElse) {
  FlatStringMap<int> map;
  EXPECT_EQ(map.Find("a"), nullptr);
  EXPECT_EQ(map.FindId("a"), FlatStringMap<int>::kNone);
  auto [id, inserted] = map.Emplace("a");
  EXPECT_TRUE(inserted);
  map.ValueOf(id) = 7;
  auto again = map.Emplace("a");
  EXPECT_FALSE(again.second);
  EXPECT_EQ(again.first, id);
  ASSERT_NE(map.Find("a"), nullptr);
  EXPECT_EQ(*map.Find("a"), 7);
  EXPECT_EQ(map.KeyOf(id), "a");
  EXPECT_EQ(map.Find("b"), nullptr);
  EXPECT_EQ(map.Find(""), nullptr);
  EXPECT_EQ(map.size(), 1u);
}

TEST(FlatStringMapTest, AnIdStaysUntilErasureAndAFreedPlaceIsReused) {
  FlatStringMap<std::string> map;
  const auto a = map.Emplace("a").first;
  const auto b = map.Emplace("b").first;
  map.ValueOf(b) = "bee";
  for (int i = 0; i < 1000; ++i) map.Emplace("k" + std::to_string(i));  // grows the table
  EXPECT_EQ(map.FindId("a"), a);
  EXPECT_EQ(map.FindId("b"), b);
  EXPECT_EQ(map.ValueOf(b), "bee");
  EXPECT_TRUE(map.Erase("a"));
  EXPECT_FALSE(map.Erase("a"));
  EXPECT_EQ(map.Find("a"), nullptr);
  const auto c = map.Emplace("c").first;
  EXPECT_EQ(c, a);                // the freed place
  EXPECT_EQ(map.ValueOf(c), "");  // with a fresh value
  EXPECT_EQ(map.KeyOf(c), "c");
  EXPECT_EQ(map.size(), 1002u);
}

// Random insertions and erasures on a small key space (long probe chains, erasures in the
// middle of them), checked against std::map after every operation's batch.
TEST(FlatStringMapTest, BehavesAsAnOrderedMapUnderRandomInsertionsAndErasures) {
  std::mt19937 rng(20261203);
  for (int round = 0; round < 20; ++round) {
    FlatStringMap<int> map;
    std::map<std::string, int> model;
    if (round % 2 == 1) map.reserve(300);
    const int space = 50 + round * 40;
    for (int op = 0; op < 4000; ++op) {
      const std::string key = "key-" + std::to_string(rng() % space);
      if (rng() % 3 == 0) {
        // Half of the erasures with the key's hash given.
        const bool erased = op % 2 == 0 ? map.Erase(key) : map.Erase(key, map.HashOf(key));
        EXPECT_EQ(erased, model.erase(key) == 1) << key;
      } else {
        const auto [id, inserted] = map.Emplace(key);
        EXPECT_EQ(inserted, model.count(key) == 0) << key;
        map.ValueOf(id) = op;
        model[key] = op;
      }
      if (op % 500 != 0) continue;
      ASSERT_EQ(map.size(), model.size());
      for (int k = 0; k < space; ++k) {
        const std::string probe = "key-" + std::to_string(k);
        const int* found = map.Find(probe);
        auto it = model.find(probe);
        ASSERT_EQ(found != nullptr, it != model.end()) << probe;
        if (found != nullptr) {
          EXPECT_EQ(*found, it->second) << probe;
        }
      }
      std::map<std::string, int> seen;
      map.ForEach([&](const std::string& k, int v) { seen.emplace(k, v); });
      EXPECT_EQ(seen, model);
      // A walk by id sees the same entries; a lookup with a hash given is the same lookup.
      std::map<std::string, int> walked;
      for (FlatStringMap<int>::Id id = 0; id < map.id_end(); ++id) {
        if (!map.Live(id)) continue;
        walked.emplace(map.KeyOf(id), map.ValueOf(id));
        map.Prefetch(map.HashOf(map.KeyOf(id)));
        EXPECT_EQ(map.FindId(map.KeyOf(id), map.HashOf(map.KeyOf(id))), id);
        // The kept hash bits stand for the hash, here and in another map of the same keys
        // (a freed place reused by another key holds the new key's bits).
        EXPECT_EQ(map.HashBitsOf(id), map.HashOf(map.KeyOf(id)) & 0xffffffffu);
        EXPECT_EQ(map.FindId(map.KeyOf(id), map.HashBitsOf(id)), id);
      }
      EXPECT_EQ(walked, model);
    }
  }
}

}  // namespace
}  // namespace tributary
