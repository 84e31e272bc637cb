#pragma once
// Webhooks (config webhooks[]): batches of changes POSTed to each webhook's URL through the
// fetch engine, signed with HMAC-SHA256, retried with exponential backoff until the receiver
// answers 2xx: at-least-once delivery. The delivery cursor (the last change acknowledged) is
// stored in SQLite after each acknowledged batch, so a restart resumes where it stopped; a
// receiver may see a batch twice (after a crash between its 2xx and the cursor write) and
// should deduplicate by change seq.
//
// Signature header: Tributary-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
// "<t>.<body>")>. A receiver recomputes the HMAC over the raw body and compares in constant
// time, and rejects old timestamps (replays). A webhook seen for the first time (no stored
// cursor) starts after the latest change committed when Update first sees it, and that cursor
// is stored before anything is sent: it is not sent the history that came before it, and at
// start-up on a fresh database it gets every change from seq 1. From then on a restart always
// resumes after the stored cursor. The history pruner keeps changes no webhook has delivered.
// Thread safety: Start, Update and Stop from one controlling thread; the work runs on the
// dispatcher's own thread and the fetch engine's.

#include <boost/asio/thread_pool.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/api_config.hpp"
#include "config/config.hpp"
#include "fetchers/fetcher.hpp"
#include "service/api/change_feed.hpp"
#include "service/storage/store.hpp"

namespace tributary::service::api {

// "t=<timestamp>,v1=<hex>" for `body` signed with `secret` at `timestamp` (unix seconds).
std::string WebhookSignature(const std::string& secret, int64_t timestamp, std::string_view body);

class WebhookDispatcher {
 public:
  WebhookDispatcher(storage::Store& store, ChangeFeed& feed, fetchers::Fetcher& fetcher);
  ~WebhookDispatcher();  // Stops.

  // Starts delivery for the configured webhooks; stops those no longer configured and restarts
  // changed ones (their cursors are kept).
  void Update(const config::Config& config);
  void Stop();

 private:
  class Delivery;
  // For a webhook with no stored cursor: the latest change now, stored as its cursor.
  std::optional<int64_t> FirstCursor(const std::string& webhook_id);
  storage::Store& store_;
  ChangeFeed& feed_;
  fetchers::Fetcher& fetcher_;
  boost::asio::thread_pool pool_{1};
  std::map<std::string, std::shared_ptr<Delivery>> deliveries_;  // controlling thread only
};

}  // namespace tributary::service::api
