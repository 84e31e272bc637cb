#pragma once
// Background retention of the change history (config "history": max_age, max_versions): every
// prune_every, removes old history in small batches, each its own short transaction posted to
// the writer thread, so ingestion commits queued meanwhile run between batches and never wait
// for more than one batch. Changes not yet delivered to a configured webhook are kept, however
// old (at-least-once delivery); a warning names the webhook that holds pruning back.
// Thread safety: Start and Stop from the controlling thread; the rest runs on the pipeline
// io_context (timer) and the writer (batches).

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>

#include "config/config.hpp"
#include "service/storage/store.hpp"

namespace tributary::service {

class HistoryPruner {
 public:
  static constexpr size_t kBatch = 2000;

  HistoryPruner(boost::asio::io_context& timer_io, boost::asio::io_context& writer_io,
                storage::Store& store,
                std::function<std::shared_ptr<const config::Config>()> config);
  void Start();
  // Cancels the timer; a batch already posted to the writer still runs (it is short).
  void Stop();

 private:
  void Schedule();
  void PruneBatch(std::shared_ptr<const config::Config> config, uint64_t removed_so_far,
                  std::optional<int64_t> keep_after);
  // The lowest delivery cursor of the configured webhooks (nullopt: none configured); an error
  // when a cursor cannot be read (pruning then waits for the next round).
  Result<std::optional<int64_t>> UndeliveredAfter(const config::Config& config);

  boost::asio::io_context& timer_io_;
  boost::asio::io_context& writer_io_;
  storage::Store& store_;
  const std::function<std::shared_ptr<const config::Config>()> config_;
  boost::asio::steady_timer timer_;             // timer_io_ thread
  std::shared_ptr<std::atomic<bool>> stopped_;  // shared with posted batches
};

}  // namespace tributary::service
