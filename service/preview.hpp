#pragma once
// POST /api/v1/preview: a source definition (as in the configuration's sources[]) fetched once
// and extracted in a worker process, with per-field fill counts; nothing is stored, no view or
// schedule changes. For writing configurations.
// Thread safety: RunPreview may be called from any thread; `done` runs once on a fetch or pool
// thread.

#include <functional>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "fetchers/fetcher.hpp"
#include "merge/pool/worker_pool.hpp"
#include "service/api/handlers.hpp"

namespace tributary::service {

// Records returned at most (the fill counts cover every record).
inline constexpr size_t kPreviewRecords = 50;

void RunPreview(const config::Config& config, const nlohmann::json& definition,
                fetchers::Fetcher& fetcher, merge::pool::WorkerPool& pool,
                std::function<void(api::PreviewResult)> done);

}  // namespace tributary::service
