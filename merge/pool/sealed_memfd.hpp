#pragma once
// What SharedBody (one document per memfd) and BodyRegion (a worker's two slots) share on the
// receiving side: checking that a descriptor is a memfd sealed as its sender promised, and
// mapping it read-only. Error messages start with `what` ("shared body", "body region").
// Thread safety: pure functions of their arguments.

#include <cstddef>
#include <string>

#include "common/result.hpp"

namespace tributary::merge::pool {

// "<what>: <strerror(errno)>".
std::string ErrnoText(const char* what);

// The size of `fd` when it carries every seal in `required_seals`; an error otherwise. Never
// closes `fd`.
Result<size_t> SealedMemfdSize(int fd, int required_seals, const char* what);

// Maps the first `size` bytes of `fd` read-only and shared (nullptr when size is 0: an empty
// file cannot be mapped). Never closes `fd`.
Result<const char*> MapReadOnly(int fd, size_t size, const char* what);

}  // namespace tributary::merge::pool
