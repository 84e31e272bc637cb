// The allocator of the large merge arrays: blocks above its threshold are mappings of their own
// (huge pages advised), smaller ones come from operator new; both hold what is written.
#include "common/large_allocator.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tributary {
namespace {

TEST(LargeAllocator, VectorsAndStringsAcrossTheThresholdKeepTheirContents) {
  // Grown from empty past the threshold (several reallocations, small blocks then mappings)
  // and shrunk back below it.
  std::vector<uint64_t, LargeAllocator<uint64_t>> cells;
  const size_t n = 3 * (size_t{4} << 20) / sizeof(uint64_t);
  for (size_t i = 0; i < n; ++i) cells.push_back(i * 2654435761u);
  for (size_t i = 0; i < n; i += 4099) ASSERT_EQ(cells[i], i * 2654435761u) << i;
  cells.resize(100);
  cells.shrink_to_fit();
  for (size_t i = 0; i < 100; ++i) ASSERT_EQ(cells[i], i * 2654435761u);

  std::basic_string<char, std::char_traits<char>, LargeAllocator<char>> text;
  for (int i = 0; i < 1'000'000; ++i) text.append(std::to_string(i % 10));
  EXPECT_EQ(text.size(), 1'000'000u);
  EXPECT_EQ(text.substr(123'450, 5), "01234");
  auto copy = text;
  EXPECT_EQ(copy, text);
}

TEST(LargeAllocator, ABlockAboveTheThresholdIsAMappingOfItsOwn) {
  if (large_block::kMinBytes == SIZE_MAX) GTEST_SKIP() << "every block from operator new (ASan)";
  LargeAllocator<char> alloc;
  const size_t bytes = large_block::kMinBytes + 123;
  char* block = alloc.allocate(bytes);
  block[0] = 1;
  block[bytes - 1] = 2;
  // mincore() answers for mapped pages only (ENOMEM otherwise): the whole block, rounded up to
  // 2 MiB, is one mapping.
  const size_t rounded = (bytes + (size_t{2} << 20) - 1) / (size_t{2} << 20) * (size_t{2} << 20);
  std::vector<unsigned char> resident(rounded / 4096);
  EXPECT_EQ(mincore(block, rounded, resident.data()), 0);
  EXPECT_EQ(block[0] + block[bytes - 1], 3);
  alloc.deallocate(block, bytes);
  EXPECT_NE(mincore(block, rounded, resident.data()), 0);  // unmapped
}

}  // namespace
}  // namespace tributary
