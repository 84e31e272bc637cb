#pragma once
// Translations from the configuration to each component's own options and records, so that
// the components never see the configuration format and the App stays pure wiring.

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "fetchers/fetcher.hpp"
#include "merge/pool/worker_pool.hpp"
#include "service/storage/store.hpp"

namespace tributary::service {

merge::pool::PoolOptions MakePoolOptions(const config::Config& config, std::string worker_exe);
fetchers::FetchRequest MakeFetchRequest(const config::Config& config,
                                        const config::SourceConfig& source);
storage::FetchLog MakeFetchLog(const fetchers::FetchResult& result,
                               std::optional<uint64_t> record_count, const Error* error);
// Selector syntax and other extraction checks for every source, as "path: message" lines.
std::vector<std::string> ValidateExtraction(const config::Config& config);

}  // namespace tributary::service
