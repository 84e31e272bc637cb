#pragma once
// A stable sort for the few elements a merge sorts per key (a key's records, its (field,
// value) pairs): std::stable_sort asks for a temporary buffer on every call, and a full merge
// sorts a few million times (perf: ~4 % of a merge job's time in the buffer and its merging).
// Insertion sort for short ranges, std::stable_sort beyond them.
// Thread safety: none needed (pure).

#include <algorithm>
#include <iterator>
#include <utility>

namespace tributary {

template <class It, class Less>
void StableSortSmall(It first, It last, Less less) {
  constexpr std::ptrdiff_t kInsertionMax = 32;
  if (last - first > kInsertionMax) {
    std::stable_sort(first, last, less);
    return;
  }
  for (It i = first; i != last; ++i) {
    if (i == first || !less(*i, *std::prev(i))) continue;
    auto moving = std::move(*i);
    It j = i;
    // Past every element `moving` is less than: equal ones stay before it (stable).
    do {
      *j = std::move(*std::prev(j));
      --j;
    } while (j != first && less(moving, *std::prev(j)));
    *j = std::move(moving);
  }
}

}  // namespace tributary
