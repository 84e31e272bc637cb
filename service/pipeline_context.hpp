#pragma once
// The components the daemon's pipelines share. Owned by the App, which outlives the pipelines.
// Pipeline state lives on `pipeline_io` (one thread); every store write goes through
// `writer_io` (the one writer thread).

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>

#include "config/config.hpp"
#include "fetchers/fetcher.hpp"
#include "merge/pool/worker_pool.hpp"
#include "service/storage/store.hpp"

namespace tributary::service {

class ExtractionGuard;
class ExtractionHealth;
namespace scheduler {
class FetchStateRegistry;
}

struct PipelineContext {
  boost::asio::io_context& pipeline_io;
  boost::asio::io_context& writer_io;
  storage::Store& store;
  fetchers::Fetcher& fetcher;
  merge::pool::WorkerPool& pool;
  std::function<std::shared_ptr<const config::Config>()> config;
  // Extraction jobs go through it (quarantine, per-source counts) when set.
  ExtractionGuard* extraction = nullptr;
  // Per-source extraction health (record drops, fill ratios) when set.
  ExtractionHealth* health = nullptr;
  // Per-source fetch state (last attempt, 304s, hints) for the scheduler and the API, when set.
  scheduler::FetchStateRegistry* fetch_state = nullptr;
  // When set, a fetch outcome (the log, and the snapshot when records were extracted) is
  // committed through it (ViewPipeline::Ingest: the source's changes, the merges of the views
  // it feeds and the change history in one transaction); `done` runs on the pipeline thread.
  std::function<void(std::shared_ptr<const config::Config> config, storage::FetchLog log,
                     std::optional<merge::SourceSnapshot> snapshot, std::function<void()> done)>
      ingest = nullptr;
};

}  // namespace tributary::service
