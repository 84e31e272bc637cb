#pragma once
// An allocator for the few very large arrays of a big merge (hash tables and record buffers of
// millions of entries): a block of 4 MiB or more is mapped on its own and advised to use
// transparent huge pages (the kernel's default mode, `madvise`, gives them only to regions that
// ask). A first touch then maps 2 MiB instead of 4 KiB — a full merge of three sources of a
// million records faulted in hundreds of thousands of pages, each costly in a virtual machine —
// and lookups in tables of hundreds of megabytes miss the TLB far less. Smaller blocks come
// from operator new as usual, so the buffers of small sources cost nothing more. Under
// AddressSanitizer every block comes from operator new, so that overflows stay detected.
// Thread safety: stateless.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

namespace tributary {

namespace large_block {
#if defined(__SANITIZE_ADDRESS__)
inline constexpr size_t kMinBytes = SIZE_MAX;
#else
inline constexpr size_t kMinBytes = size_t{4} << 20;
#endif
// A mapping of at least `bytes` (rounded up to 2 MiB), advised to use huge pages; throws
// std::bad_alloc when the system refuses it.
void* Map(size_t bytes);
void Unmap(void* block, size_t bytes) noexcept;
}  // namespace large_block

template <class T>
class LargeAllocator {
 public:
  using value_type = T;
  LargeAllocator() noexcept = default;
  template <class U>
  LargeAllocator(const LargeAllocator<U>&) noexcept {}

  T* allocate(size_t n) {
    if (n > SIZE_MAX / sizeof(T)) throw std::bad_array_new_length();
    if (n * sizeof(T) < large_block::kMinBytes) return std::allocator<T>().allocate(n);
    return static_cast<T*>(large_block::Map(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) noexcept {
    if (n * sizeof(T) < large_block::kMinBytes) {
      std::allocator<T>().deallocate(p, n);
    } else {
      large_block::Unmap(p, n * sizeof(T));
    }
  }
  template <class U>
  bool operator==(const LargeAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace tributary
