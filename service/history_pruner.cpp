#include "service/history_pruner.hpp"

#include <boost/asio/post.hpp>
#include <chrono>

#include "common/log.hpp"
#include "common/time.hpp"

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
      if (*stopped) return;
      // Cursors only grow: one reading serves the whole round.
      auto keep_after = UndeliveredAfter(*cfg);
      if (!keep_after) {
        Logger("store")->warn("history pruning skipped (retried later): {}",
                              keep_after.error().message);
        asio::post(timer_io_, [this] { Schedule(); });
        return;
      }
      PruneBatch(cfg, 0, *keep_after);
    });
  });
}

// On the writer thread: one batch, then the next one is posted behind whatever the writer
// has queued meanwhile.
void HistoryPruner::PruneBatch(std::shared_ptr<const config::Config> cfg, uint64_t removed,
                               std::optional<int64_t> keep_after) {
  std::optional<SystemTime> older_than;
  if (cfg->history.max_age) older_than = std::chrono::system_clock::now() - *cfg->history.max_age;
  auto outcome = store_.PruneHistory(older_than, cfg->history.max_versions, kBatch, keep_after);
  if (!outcome) {
    Logger("store")->warn("history pruning failed (retried later): {}", outcome.error().message);
  } else {
    removed += outcome->removed;
    if (outcome->more) {
      asio::post(writer_io_, [this, cfg, removed, keep_after, stopped = stopped_] {
        if (!*stopped) PruneBatch(cfg, removed, keep_after);
      });
      return;
    }
    if (removed > 0) Logger("store")->info("pruned {} history entries", removed);
  }
  asio::post(timer_io_, [this] { Schedule(); });
}

Result<std::optional<int64_t>> HistoryPruner::UndeliveredAfter(const config::Config& cfg) {
  std::optional<int64_t> lowest;
  std::string holder;
  for (const auto& hook : cfg.webhooks) {
    auto cursor = store_.WebhookCursor(hook.id);
    if (!cursor) return cursor.error();
    // No cursor yet: the webhook is being started and stores one in a moment; keep everything
    // until then rather than guess.
    const int64_t after = cursor->value_or(0);
    if (!lowest || after < *lowest) {
      lowest = after;
      holder = hook.id;
    }
  }
  if (!lowest) return std::optional<int64_t>();
  // Say so when the backlog is older than what pruning would keep: the history then grows
  // until the receiver accepts it (or the webhook is removed from the configuration).
  auto next = store_.ChangesSince(*lowest, 1, {});
  if (next && !next->changes.empty()) {
    const auto age = std::chrono::system_clock::now() - next->changes.front().time;
    const auto limit = cfg.history.max_age.value_or(cfg.history.prune_every);
    if (age > limit) {
      Logger("store")->warn(
          "history pruning keeps changes after seq {}: webhook={} has not delivered them yet "
          "(the oldest is from {}); they are pruned once delivered",
          *lowest, holder, FormatRfc3339(next->changes.front().time));
    }
  }
  return lowest;
}

}  // namespace tributary::service
