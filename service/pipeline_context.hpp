#pragma once
// The components the daemon's pipelines share. Owned by the App, which outlives the pipelines.
// Pipeline state lives on `pipeline_io` (one thread); every store write goes through
// `writer_io` (the one writer thread).

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>

#include "config/config.hpp"
#include "fetchers/fetcher.hpp"
#include "merge/pool/worker_pool.hpp"
#include "service/storage/store.hpp"

namespace tributary::service {

namespace scheduler {
class FetchStateRegistry;
}

class ExtractionHealth;

struct PipelineContext {
  boost::asio::io_context& pipeline_io;
  boost::asio::io_context& writer_io;
  storage::Store& store;
  fetchers::Fetcher& fetcher;
  merge::pool::WorkerPool& pool;
  std::function<std::shared_ptr<const config::Config>()> config;
  // Per-source fetch state (last attempt, 304s, hints) for the scheduler and the API, when set.
  scheduler::FetchStateRegistry* fetch_state = nullptr;
  // Per-source extraction health (record drops, fill ratios) when set.
  ExtractionHealth* health = nullptr;
};

}  // namespace tributary::service
