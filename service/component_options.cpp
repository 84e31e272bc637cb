#include "service/component_options.hpp"

#include <thread>

#include "common/log.hpp"
#include "service/fetch_options.hpp"
#include "merge/extract/extractor.hpp"

namespace tributary::service {

merge::pool::PoolOptions MakePoolOptions(const config::Config& config, std::string worker_exe) {
  merge::pool::PoolOptions o;
  o.worker_exe = std::move(worker_exe);
  o.worker_args = {"worker", "--log-level", config.log.level};
  if (config.log.json) o.worker_args.push_back("--log-json");
  o.processes = config.workers.processes > 0
                    ? config.workers.processes
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  o.job_timeout = config.workers.job_timeout;
  o.limits.address_space = config.workers.max_memory;
  // CPU time can only exceed wall time with threads, which workers do not have: the wall-clock
  // deadline normally acts first; the CPU limit stops a spinning worker even if it did not.
  o.limits.cpu_seconds_per_job = static_cast<int>(
      std::chrono::ceil<std::chrono::seconds>(config.workers.job_timeout).count() + 1);
  return o;
}

fetchers::FetchRequest MakeFetchRequest(const config::Config& config,
                                        const config::SourceConfig& source) {
  fetchers::FetchRequest r;
  r.source_id = source.id;
  r.url = source.url;
  r.method = source.method;
  r.headers = source.headers;
  r.body = source.body;
  r.user_agent = config.fetch.user_agent;
  r.timeout = source.timeout.value_or(config.fetch.timeout);
  r.connect_timeout = std::min(r.timeout, config.fetch.connect_timeout);
  r.max_body = config.fetch.max_body;
  r.allow_private_networks = config.fetch.allow_private_networks;
  ApplyFetchPolicy(config, source, r);  // fetch_options.hpp
  return r;
}

storage::FetchLog MakeFetchLog(const fetchers::FetchResult& result,
                               std::optional<uint64_t> record_count, const Error* error) {
  storage::FetchLog log;
  log.source_id = result.source_id;
  log.started = result.started;
  log.http_status = result.status;
  log.duration_ms = result.duration.count();
  log.bytes = result.bytes;
  log.record_count = record_count;
  if (error) {
    log.error = error->message;
    log.error_class = ErrorClassName(error->error_class);
  }
  return log;
}

std::vector<std::string> ValidateExtraction(const config::Config& config) {
  std::vector<std::string> out;
  for (size_t i = 0; i < config.sources.size(); ++i) {
    for (const auto& e :
         merge::extract::ValidateSource(config.sources[i], "sources[" + std::to_string(i) + "]")) {
      out.push_back(e.ToString());
    }
  }
  return out;
}

}  // namespace tributary::service
