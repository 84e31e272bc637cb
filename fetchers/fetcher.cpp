#include "fetchers/fetcher.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "common/log.hpp"
#include "fetchers/address_resolver.hpp"
#include "fetchers/group_key.hpp"
#include "fetchers/robots_cache.hpp"
#include "fetchers/robots_rules.hpp"
#include "fetchers/shard.hpp"
#include "fetchers/url_host.hpp"

namespace tributary::fetchers {
namespace {

// How long "robots.txt is unreachable, assume disallow" is believed before asking again.
constexpr std::chrono::minutes kUnreachableRobotsTtl{10};
constexpr uint64_t kMaxRobotsBody = 1ull << 20;

// curl_global_init exactly once per process, thread-safely (a function-local static), before
// the first handle exists; never cleaned up, as other threads may still use libcurl at exit.
void EnsureCurlGlobalInit() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) {
    throw std::runtime_error(std::string("curl_global_init failed: ") + curl_easy_strerror(rc));
  }
}

FetchResult Undecided(const FetchRequest& request, Error error, RobotsVerdict robots) {
  FetchResult r;
  r.source_id = request.source_id;
  r.url = request.url;
  r.final_url = request.url;
  r.started = std::chrono::system_clock::now();
  r.error = std::move(error);
  r.not_sent = true;
  r.robots = robots;
  return r;
}

}  // namespace

const char* RobotsVerdictName(RobotsVerdict v) {
  switch (v) {
    case RobotsVerdict::kNotChecked:
      return "not_checked";
    case RobotsVerdict::kAllowed:
      return "allowed";
    case RobotsVerdict::kDisallowed:
      return "disallowed";
  }
  return "not_checked";
}

// A fetch waiting for its origin's robots.txt.
struct Fetcher::RobotsWait {
  FetchRequest request;
  Callback done;
  std::string key;
};

Fetcher::Fetcher(const FetcherOptions& options)
    : observer_(options.observer),
      robots_(std::make_unique<RobotsCache>()),
      resolver_(std::make_unique<AddressResolver>()) {
  EnsureCurlGlobalInit();
  const int shards = std::max(1, options.io_threads);
  shards_.reserve(static_cast<size_t>(shards));
  for (int i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>(i, observer_.get()));
}

Fetcher::~Fetcher() { Stop(); }

Fetcher::Shard& Fetcher::ShardFor(const std::string& key) const {
  return *shards_[ShardIndexFor(key, shards_.size())];
}

void Fetcher::Fetch(FetchRequest request, Callback done) {
  std::string key = GroupKeyFor(request);
  static constexpr std::string_view kPending = "ip-pending:";
  if (key.compare(0, kPending.size(), kPending) != 0) {
    Route(std::move(request), std::move(done), std::move(key));
    return;
  }
  // A by-IP group: resolve first, then pin the request to the address its group is named by.
  waiting_.fetch_add(1, std::memory_order_acq_rel);
  const std::string host = key.substr(kPending.size());
  auto wait = std::make_shared<RobotsWait>(RobotsWait{std::move(request), std::move(done), {}});
  resolver_->Resolve(host, [this, wait](Result<std::string> address) {
    waiting_.fetch_sub(1, std::memory_order_acq_rel);
    if (!address) {
      // Completed on the shard of the host's name, which is as good as any.
      ShardFor("host:" + HostOf(wait->request.url))
          .CompleteLater(Undecided(wait->request, address.error(), RobotsVerdict::kNotChecked),
                         std::move(wait->done));
      return;
    }
    wait->request.pinned_address = *address;
    Route(std::move(wait->request), std::move(wait->done), IpGroupKey(*address));
  });
}

void Fetcher::Route(FetchRequest&& request, Callback&& done, std::string&& key) {
  if (request.obey_robots && !OriginOf(request.url).empty()) {
    CheckRobots(std::move(request), std::move(done), std::move(key));
    return;
  }
  Dispatch(std::move(request), std::move(done), std::move(key), RobotsVerdict::kNotChecked);
}

void Fetcher::Dispatch(FetchRequest&& request, Callback&& done, std::string&& key,
                       RobotsVerdict robots) {
  Shard& shard = ShardFor(key);
  shard.Submit(std::move(request), std::move(done), std::move(key), robots);
}

void Fetcher::CheckRobots(FetchRequest request, Callback done, std::string key) {
  const std::string origin = OriginOf(request.url);
  auto wait =
      std::make_shared<RobotsWait>(RobotsWait{std::move(request), std::move(done), std::move(key)});
  std::shared_ptr<const RobotsRules> rules;
  waiting_.fetch_add(1, std::memory_order_acq_rel);
  const auto lookup =
      robots_->Find(origin, std::chrono::system_clock::now(), rules,
                    [this, wait](std::shared_ptr<const RobotsRules> found, const Error* error) {
                      Decide(wait, found.get(), error);
                    });
  switch (lookup) {
    case RobotsCache::Lookup::kReady:
      Decide(wait, rules.get(), nullptr);
      break;
    case RobotsCache::Lookup::kPending:
      break;
    case RobotsCache::Lookup::kFetch:
      FetchRobots(origin, wait->request, wait->key);
      break;
  }
}

void Fetcher::FetchRobots(const std::string& origin, const FetchRequest& like,
                          const std::string& key) {
  FetchRequest robots;
  robots.source_id = like.source_id;
  robots.url = origin + "/robots.txt";
  robots.user_agent = like.user_agent;
  robots.timeout = like.timeout;
  robots.connect_timeout = like.connect_timeout;
  robots.low_speed_limit = like.low_speed_limit;
  robots.low_speed_time = like.low_speed_time;
  robots.max_body = kMaxRobotsBody;
  robots.allow_private_networks = like.allow_private_networks;
  robots.proxy = like.proxy;
  robots.tls_verify = like.tls_verify;
  robots.ca_file = like.ca_file;
  robots.pinned_address = like.pinned_address;
  robots.group = like.group;
  robots.retry = like.retry;
  robots.retry.attempts = 1;  // an unreachable robots.txt is re-read after a short TTL instead
  const auto ttl = like.robots_ttl;
  Dispatch(
      std::move(robots),
      [this, origin, ttl](FetchResult result) {
        const auto now = std::chrono::system_clock::now();
        if (result.not_sent) {
          robots_->Release(origin, result.error ? *result.error : Error::Retryable("cancelled"));
          return;
        }
        std::shared_ptr<const RobotsRules> rules;
        auto expires = now + ttl;
        if (result.status >= 200 && result.status < 300 && !result.error) {
          rules = std::make_shared<const RobotsRules>(RobotsRules::Parse(result.body));
        } else if (result.status >= 400 && result.status < 500 && result.status != 429) {
          rules = std::make_shared<const RobotsRules>(RobotsRules::AllowAll());
        } else {
          // 5xx, 429, network errors, too large: RFC 9309 says assume complete disallow.
          rules = std::make_shared<const RobotsRules>(RobotsRules::DisallowAll());
          expires = now + std::min<std::chrono::milliseconds>(ttl, kUnreachableRobotsTtl);
          Logger("fetch")->warn("source={} {}/robots.txt unreachable ({}): disallowing for now",
                                result.source_id, origin,
                                result.error ? result.error->message : "HTTP error");
        }
        robots_->Store(origin, std::move(rules), expires);
      },
      std::string(key), RobotsVerdict::kNotChecked);
}

void Fetcher::Decide(const std::shared_ptr<RobotsWait>& wait, const RobotsRules* rules,
                     const Error* error) {
  waiting_.fetch_sub(1, std::memory_order_acq_rel);
  Shard& shard = ShardFor(wait->key);
  if (rules == nullptr) {
    shard.CompleteLater(
        Undecided(wait->request, error ? *error : Error::Retryable("robots.txt: no verdict"),
                  RobotsVerdict::kNotChecked),
        std::move(wait->done));
    return;
  }
  const auto verdict = rules->Check(wait->request.user_agent, PathAndQuery(wait->request.url));
  if (!verdict.allowed) {
    if (observer_) observer_->OnRobotsDenied(wait->request.source_id);
    FetchResult r =
        Undecided(wait->request,
                  Error::Permanent("disallowed by " + OriginOf(wait->request.url) + "/robots.txt" +
                                   (verdict.rule.empty() ? "" : " (" + verdict.rule + ")") +
                                   "; set \"robots\": \"ignore\" on the source to fetch anyway"),
                  RobotsVerdict::kDisallowed);
    r.group = wait->key;
    shard.CompleteLater(std::move(r), std::move(wait->done));
    return;
  }
  Dispatch(std::move(wait->request), std::move(wait->done), std::string(wait->key),
           RobotsVerdict::kAllowed);
}

void Fetcher::Stop() {
  // The resolver first: its waiters then find the shards still accepting or already stopped.
  if (resolver_) resolver_->Stop();
  // Every shard starts cancelling at once; then they are joined one by one.
  for (auto& shard : shards_) shard->RequestStop();
  for (auto& shard : shards_) shard->Join();
}

size_t Fetcher::InFlight() const {
  size_t total = waiting_.load(std::memory_order_acquire);
  for (const auto& shard : shards_) total += shard->InFlight();
  return total;
}

std::optional<GroupState> Fetcher::GroupStateOf(const std::string& key) const {
  return ShardFor(key).StateOf(key);
}

}  // namespace tributary::fetchers
