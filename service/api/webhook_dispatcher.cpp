#include "service/api/webhook_dispatcher.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <random>

#include "common/log.hpp"
#include "service/api/change_json.hpp"
#include "service/metrics/registry.hpp"

namespace tributary::service::api {

namespace asio = boost::asio;
using nlohmann::json;

std::string WebhookSignature(const std::string& secret, int64_t timestamp, std::string_view body) {
  const std::string signed_text = std::to_string(timestamp) + "." + std::string(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac,
       &length);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[mac[i] >> 4];
    hex += kHex[mac[i] & 15];
  }
  return "t=" + std::to_string(timestamp) + ",v1=" + hex;
}

// One webhook's delivery loop: read a batch after the cursor, POST it until acknowledged,
// store the cursor, repeat; wait on the change feed when there is nothing to send.
class WebhookDispatcher::Delivery : public std::enable_shared_from_this<Delivery> {
 public:
  // `start_after`: where to start when no cursor is stored (the latest change when the
  // webhook was first configured); nullopt: the latest change when Begin runs.
  Delivery(WebhookDispatcher& owner, config::WebhookConfig hook, config::FetchConfig fetch,
           std::optional<int64_t> start_after)
      : owner_(owner),
        hook_(std::move(hook)),
        fetch_(std::move(fetch)),
        timer_(owner.pool_),
        start_after_(start_after) {}

  void Start() {
    asio::post(owner_.pool_, [self = shared_from_this()] { self->Begin(); });
  }
  void Stop() {
    asio::post(owner_.pool_, [self = shared_from_this()] {
      self->stopped_ = true;
      self->timer_.cancel();
    });
  }

 private:
  void Begin() {
    auto cursor = owner_.store_.WebhookCursor(hook_.id);
    if (!cursor) return Retry("cannot read the delivery cursor: " + cursor.error().message);
    if (cursor->has_value()) {
      cursor_ = **cursor;
    } else {
      // A new webhook. Its cursor is stored before anything is sent, so that a restart resumes
      // from it instead of choosing a new starting point (and skipping what came between).
      if (!start_after_) start_after_ = owner_.feed_.Latest();
      if (Status s = owner_.store_.SetWebhookCursor(hook_.id, *start_after_); !s) {
        return Retry("cannot store the first delivery cursor: " + s.error().message);
      }
      cursor_ = *start_after_;
    }
    Logger("api")->info("webhook={} delivering changes after seq {}", hook_.id, cursor_);
    started_ = true;
    Next();
  }

  void Next() {
    if (stopped_) return;
    storage::ChangeFilter filter{hook_.views, hook_.sources};
    auto page = owner_.store_.ChangesSince(cursor_, hook_.batch, filter);
    if (!page) return Retry("cannot read changes: " + page.error().message);
    if (page->changes.empty()) {
      if (page->scanned_to > cursor_) Acknowledge(page->scanned_to);
      // Wait for a commit (or a minute, to re-check), on the dispatcher's thread.
      auto self = shared_from_this();
      owner_.feed_.WaitAfter(cursor_, std::chrono::steady_clock::now() + std::chrono::minutes(1),
                             owner_.pool_.get_executor(),
                             [self] { asio::post(self->owner_.pool_, [self] { self->Next(); }); });
      return;
    }
    json changes = json::array();
    for (const auto& c : page->changes) changes.push_back(ChangeToJson(c));
    body_ = json{{"webhook", hook_.id}, {"changes", changes}}.dump(-1, ' ', false,
                                                                   json::error_handler_t::replace);
    batch_end_ = page->scanned_to;
    batch_first_ = page->changes.front().seq;
    Send();
  }

  void Send() {
    if (stopped_) return;
    fetchers::FetchRequest request;
    request.source_id = "webhook:" + hook_.id;
    request.url = hook_.url;
    request.method = "POST";
    request.body = body_;
    request.user_agent = fetch_.user_agent;
    request.timeout = hook_.timeout;
    request.connect_timeout = std::min(hook_.timeout, fetch_.connect_timeout);
    request.allow_private_networks = fetch_.allow_private_networks;
    request.max_body = 64 << 10;  // the receiver's answer is not used
    // The engine retries a failed POST a few times with the webhook's backoff; when it gives
    // up, Retry below starts over, without limit (at-least-once).
    request.retry.base = hook_.min_backoff;
    request.retry.cap = hook_.max_backoff;
    request.retry.circuit_cooldown = hook_.max_backoff;
    // A politeness group of its own: a failing receiver must not open the circuit of the
    // sources on the same host (nor wait behind their spacing).
    request.group.name = "webhook:" + hook_.id;
    request.group.concurrency = 1;
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    request.headers = hook_.headers;
    request.headers.emplace_back("Content-Type", "application/json");
    request.headers.emplace_back("Tributary-Webhook", hook_.id);
    request.headers.emplace_back(
        "Tributary-Delivery",
        hook_.id + "-" + std::to_string(batch_first_) + "-" + std::to_string(batch_end_));
    request.headers.emplace_back("Tributary-Signature", WebhookSignature(hook_.secret, now, body_));
    auto self = shared_from_this();
    owner_.fetcher_.Fetch(std::move(request), [self](fetchers::FetchResult result) {
      asio::post(self->owner_.pool_, [self, result = std::move(result)] { self->OnSent(result); });
    });
  }

  void OnSent(const fetchers::FetchResult& result) {
    static auto& deliveries = metrics::DefaultRegistry().CounterFamily(
        "tributary_webhook_deliveries_total",
        "Webhook POSTs by webhook and outcome (delivered, failed).", {"webhook", "outcome"});
    if (stopped_) return;
    if (!result.error && result.status >= 200 && result.status < 300) {
      deliveries.With({hook_.id, "delivered"}).Inc();
      failures_ = 0;
      Acknowledge(batch_end_);
      return Next();
    }
    deliveries.With({hook_.id, "failed"}).Inc();
    Retry(result.error ? result.error->message : "HTTP " + std::to_string(result.status));
  }

  void Acknowledge(int64_t seq) {
    if (Status s = owner_.store_.SetWebhookCursor(hook_.id, seq); !s) {
      Logger("api")->warn("webhook={} cannot store its cursor: {}", hook_.id, s.error().message);
    }
    cursor_ = seq;
  }

  // Exponential backoff with jitter, then the same batch again (or the start, if not started).
  void Retry(const std::string& why) {
    ++failures_;
    auto delay = hook_.min_backoff;
    for (int i = 1; i < failures_ && delay < hook_.max_backoff; ++i) delay *= 2;
    delay = std::min(delay, hook_.max_backoff);
    std::uniform_int_distribution<int64_t> jitter(0, delay.count() / 4);
    delay += std::chrono::milliseconds(jitter(rng_));
    Logger("api")->warn("webhook={} delivery failed ({}), attempt {}; retrying in {} ms", hook_.id,
                        why, failures_, delay.count());
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->stopped_) return;
      if (!self->started_) return self->Begin();
      if (self->body_.empty()) return self->Next();
      self->Send();
    });
  }

  WebhookDispatcher& owner_;
  const config::WebhookConfig hook_;
  const config::FetchConfig fetch_;
  asio::steady_timer timer_;
  // On the dispatcher's thread only.
  std::mt19937_64 rng_{std::random_device{}()};
  std::optional<int64_t> start_after_;
  bool stopped_ = false;
  bool started_ = false;
  int64_t cursor_ = 0;
  int64_t batch_first_ = 0;
  int64_t batch_end_ = 0;
  std::string body_;  // the batch being delivered; empty between batches
  int failures_ = 0;
};

WebhookDispatcher::WebhookDispatcher(storage::Store& store, ChangeFeed& feed,
                                     fetchers::Fetcher& fetcher)
    : store_(store), feed_(feed), fetcher_(fetcher) {}

WebhookDispatcher::~WebhookDispatcher() {
  Stop();
  pool_.join();
}

std::optional<int64_t> WebhookDispatcher::FirstCursor(const std::string& webhook_id) {
  auto stored = store_.WebhookCursor(webhook_id);
  if (!stored || stored->has_value()) return std::nullopt;  // Begin reads it (again)
  // Now, on the controlling thread: at start-up this runs before any fetch, so nothing
  // committed by this run is skipped. Stored at once so the pruner keeps what follows.
  auto latest = store_.LatestChangeSeq();
  const int64_t after = latest ? *latest : feed_.Latest();
  if (Status s = store_.SetWebhookCursor(webhook_id, after); !s) {
    Logger("api")->warn("webhook={} cannot store its first cursor (retried): {}", webhook_id,
                        s.error().message);
  }
  return after;
}

void WebhookDispatcher::Update(const config::Config& config) {
  std::map<std::string, std::shared_ptr<Delivery>> next;
  for (const auto& hook : config.webhooks) {
    // Restarted even when unchanged: the stored cursor makes that lossless (at most the batch in
    // flight is sent again).
    auto it = deliveries_.find(hook.id);
    if (it != deliveries_.end()) {
      it->second->Stop();
      deliveries_.erase(it);
    }
    auto d = std::make_shared<Delivery>(*this, hook, config.fetch, FirstCursor(hook.id));
    d->Start();
    next.emplace(hook.id, d);
  }
  for (auto& [id, d] : deliveries_) d->Stop();
  deliveries_ = std::move(next);
}

void WebhookDispatcher::Stop() {
  for (auto& [id, d] : deliveries_) d->Stop();
  deliveries_.clear();
}

}  // namespace tributary::service::api
