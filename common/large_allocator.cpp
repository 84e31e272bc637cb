#include "common/large_allocator.hpp"

#include <sys/mman.h>

namespace tributary::large_block {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

size_t Rounded(size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }

}  // namespace

void* Map(size_t bytes) {
  const size_t size = Rounded(bytes);
  void* block = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (block == MAP_FAILED) throw std::bad_alloc();
  // Advice only: where huge pages are off or unavailable, the block works with small ones.
  madvise(block, size, MADV_HUGEPAGE);
  return block;
}

void Unmap(void* block, size_t bytes) noexcept { munmap(block, Rounded(bytes)); }

}  // namespace tributary::large_block
