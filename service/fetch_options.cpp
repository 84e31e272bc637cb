#include "service/fetch_options.hpp"

#include "common/log.hpp"

namespace tributary::service {
namespace {

fetchers::GroupBy ToFetcher(config::GroupBy by) {
  switch (by) {
    case config::GroupBy::kHost:
      return fetchers::GroupBy::kHost;
    case config::GroupBy::kDomain:
      return fetchers::GroupBy::kDomain;
    case config::GroupBy::kIp:
      return fetchers::GroupBy::kIp;
  }
  return fetchers::GroupBy::kHost;
}

}  // namespace

void WarnAboutInsecureSources(const config::Config& config) {
  for (const auto& s : config.sources) {
    if (!s.fetch.tls_verify) {
      Logger("fetch")->warn("source={} TLS certificate verification is OFF (tls.verify: false)",
                            s.id);
    }
  }
}

bool ObeysRobots(const config::SourceConfig& source) {
  switch (source.fetch.robots) {
    case config::RobotsMode::kObey:
      return true;
    case config::RobotsMode::kIgnore:
      return false;
    case config::RobotsMode::kDefault:
      // robots.txt is written for pages. "auto" is resolved only after the fetch (from the
      // Content-Type and the body), so before it the page may well be html: obey, to be polite.
      // A declared json, csv, feed, xml or text source is a data endpoint meant for programs,
      // which robots.txt rarely addresses; it ignores robots.txt unless it says "obey".
      return source.format == config::Format::kHtml || source.format == config::Format::kAuto;
  }
  return false;
}

void ApplyFetchPolicy(const config::Config& config, const config::SourceConfig& source,
                      fetchers::FetchRequest& r) {
  const config::FetchPolicy& policy = config.fetch.policy;
  const config::SourceFetch& f = source.fetch;

  config::GroupLimits limits = policy.default_group;
  r.group.by = ToFetcher(f.group_by.value_or(policy.default_group_by));
  if (!f.group.empty()) {
    r.group.name = f.group;
    if (auto it = config.groups.find(f.group); it != config.groups.end()) limits = it->second;
  }
  r.group.concurrency = limits.concurrency;
  r.group.spacing = limits.spacing;
  r.group.rate = limits.rate;
  r.group.burst = limits.burst;

  const config::RetryConfig& retry = policy.retry;
  r.retry.attempts = f.retry_attempts.value_or(retry.attempts);
  r.retry.base = retry.base;
  r.retry.cap = retry.cap;
  r.retry.max_retry_after = retry.max_retry_after;
  r.retry.budget_ratio = retry.budget;
  r.retry.budget_reserve = retry.budget_reserve;
  r.retry.circuit_failures = retry.circuit_failures;
  r.retry.circuit_cooldown = retry.circuit_cooldown;

  r.obey_robots = ObeysRobots(source);
  r.robots_ttl = policy.robots_ttl;

  if (f.connect_timeout) r.connect_timeout = std::min(r.timeout, *f.connect_timeout);
  r.low_speed_limit = static_cast<long>(f.low_speed_limit.value_or(policy.low_speed_limit));
  r.low_speed_time = f.low_speed_time.value_or(policy.low_speed_time);
  if (f.max_body) r.max_body = *f.max_body;
  r.max_decompressed = f.max_decompressed.value_or(policy.max_decompressed);
  r.max_compression_ratio = f.max_compression_ratio.value_or(policy.max_compression_ratio);
  r.max_header_size = f.max_header_size.value_or(policy.max_header_size);

  r.basic_user = f.basic_user;
  r.basic_password = f.basic_password;
  r.bearer_token = f.bearer_token;
  r.cookies.clear();
  for (const auto& [name, value] : f.cookies) {
    if (!r.cookies.empty()) r.cookies += "; ";
    r.cookies += name + "=" + value;
  }
  r.proxy = f.proxy.value_or(policy.proxy);
  r.tls_verify = f.tls_verify;
  r.ca_file = f.ca_file.empty() ? policy.ca_file : f.ca_file;
  if (f.allow_private_networks) r.allow_private_networks = *f.allow_private_networks;
}

}  // namespace tributary::service
