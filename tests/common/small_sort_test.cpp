// StableSortSmall: the order std::stable_sort gives, equal elements kept in their order, for
// short ranges (insertion) and long ones (handed to std::stable_sort).
#include "common/small_sort.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

namespace tributary {
namespace {

TEST(StableSortSmall, SortsAsStdStableSortDoes) {
  std::mt19937 rng(5);
  const auto by_first = [](const std::pair<int, int>& a, const std::pair<int, int>& b) {
    return a.first < b.first;
  };
  for (size_t size : {0, 1, 2, 3, 5, 8, 16, 31, 32, 33, 100}) {
    for (int round = 0; round < 50; ++round) {
      // Few distinct values, so that equal ones are common; `second` tells them apart.
      std::vector<std::pair<int, int>> items;
      for (size_t i = 0; i < size; ++i) items.emplace_back(static_cast<int>(rng() % 4), i);
      auto expected = items;
      std::stable_sort(expected.begin(), expected.end(), by_first);
      StableSortSmall(items.begin(), items.end(), by_first);
      EXPECT_EQ(items, expected) << size;
    }
  }
}

TEST(StableSortSmall, MovesElementsThatOwnMemory) {
  std::vector<std::string> names = {"pear", "fig", "apple", "kiwi", "banana", "fig"};
  StableSortSmall(names.begin(), names.end(),
                  [](const std::string& a, const std::string& b) { return a < b; });
  EXPECT_EQ(names, (std::vector<std::string>{"apple", "banana", "fig", "fig", "kiwi", "pear"}));
}

}  // namespace
}  // namespace tributary
