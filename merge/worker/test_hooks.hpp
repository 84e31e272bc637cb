#pragma once
// Misbehaviour on demand, compiled into test builds only (CMake option TRIBUTARY_TEST_HOOKS,
// off in release builds and in the container image). When a job's body contains one of these
// markers the real worker process fails the way a hostile document could make a parser fail,
// so integration tests can drive the real daemon through crashes, hangs and memory bombs:
//
//   TRIBUTARY-TEST-CRASH         dies by SIGSEGV
//   TRIBUTARY-TEST-HANG          blocks forever (the daemon's deadline must kill it)
//   TRIBUTARY-TEST-SPIN          burns CPU forever (RLIMIT_CPU or the deadline must stop it)
//   TRIBUTARY-TEST-MEMORY        allocates and touches memory until allocation fails
//                                (RLIMIT_AS), then the worker exits as out of memory
//   TRIBUTARY-TEST-GARBAGE       writes bytes that are not a frame to the daemon, then blocks
//   TRIBUTARY-TEST-FLAKY:<path>  dies by SIGSEGV unless <path> exists; creates it first, so the
//                                retry on a fresh worker succeeds
// Without TRIBUTARY_TEST_HOOKS MaybeMisbehave does nothing.

#include <string_view>

namespace tributary::merge::worker {

#ifdef TRIBUTARY_TEST_HOOKS
inline constexpr bool kTestHooksEnabled = true;
#else
inline constexpr bool kTestHooksEnabled = false;
#endif

// Called by the worker loop before each job; `socket` is the connection to the daemon.
void MaybeMisbehave(std::string_view body, int socket);

}  // namespace tributary::merge::worker
