#include "service/history_pruner.hpp"

#include <boost/asio/post.hpp>
#include <chrono>

#include "common/log.hpp"

namespace tributary::service {

namespace asio = boost::asio;

HistoryPruner::HistoryPruner(asio::io_context& timer_io, asio::io_context& writer_io,
                             storage::Store& store,
                             std::function<std::shared_ptr<const config::Config>()> config)
    : timer_io_(timer_io),
      writer_io_(writer_io),
      store_(store),
      config_(std::move(config)),
      timer_(timer_io),
      stopped_(std::make_shared<std::atomic<bool>>(false)) {}

void HistoryPruner::Start() {
  asio::post(timer_io_, [this] { Schedule(); });
}

void HistoryPruner::Stop() {
  auto stopped = stopped_;
  asio::post(timer_io_, [this, stopped] {
    *stopped = true;
    timer_.cancel();
  });
}

void HistoryPruner::Schedule() {
  if (*stopped_) return;
  const auto cfg = config_();
  timer_.expires_after(cfg->history.prune_every);
  timer_.async_wait([this, stopped = stopped_](boost::system::error_code ec) {
    if (ec || *stopped) return;
    auto cfg = config_();
    if (!cfg->history.max_age && !cfg->history.max_versions) return Schedule();
    asio::post(writer_io_, [this, cfg, stopped] {
      if (!*stopped) PruneBatch(cfg, 0);
    });
  });
}

// On the writer thread: one batch, then the next one is posted behind whatever the writer
// has queued meanwhile.
void HistoryPruner::PruneBatch(std::shared_ptr<const config::Config> cfg, uint64_t removed) {
  std::optional<SystemTime> older_than;
  if (cfg->history.max_age) older_than = std::chrono::system_clock::now() - *cfg->history.max_age;
  auto outcome = store_.PruneHistory(older_than, cfg->history.max_versions, kBatch);
  if (!outcome) {
    Logger("store")->warn("history pruning failed (retried later): {}", outcome.error().message);
  } else {
    removed += outcome->removed;
    if (outcome->more) {
      asio::post(writer_io_, [this, cfg, removed, stopped = stopped_] {
        if (!*stopped) PruneBatch(cfg, removed);
      });
      return;
    }
    if (removed > 0) Logger("store")->info("pruned {} history entries", removed);
  }
  asio::post(timer_io_, [this] { Schedule(); });
}

}  // namespace tributary::service
