#pragma once
// `tributary run-once`: fetch every source once, extract and merge in worker processes, print
// every view's merged records as one JSON document on stdout, and exit. Nothing is stored.
// Exit status: 0 when every source was fetched and extracted, 3 when some failed (their errors
// are in the output's "sources" and in the log), 1 when nothing could run.

#include "config/config.hpp"

namespace tributary::service {

int RunOnce(const config::Config& config);

}  // namespace tributary::service
