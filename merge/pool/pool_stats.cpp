#include "merge/pool/pool_stats.hpp"

namespace tributary::merge::pool {

const char* FailureCauseName(FailureCause cause) {
  switch (cause) {
    case FailureCause::kCrash:
      return "crash";
    case FailureCause::kTimeout:
      return "timeout";
    case FailureCause::kOutOfMemory:
      return "oom";
    case FailureCause::kProtocol:
      return "protocol";
  }
  return "unknown";
}

uint64_t PoolStats::TotalLosses() const {
  uint64_t total = 0;
  for (uint64_t n : losses) total += n;
  return total;
}

nlohmann::json ToJson(const PoolStats& s) {
  nlohmann::json failures = nlohmann::json::object();
  for (FailureCause c : kFailureCauses) failures[FailureCauseName(c)] = s.Losses(c);
  return {{"configured", s.configured},
          {"processes", s.processes},
          {"busy", s.busy},
          {"queued", s.queued},
          {"jobs",
           {{"submitted", s.jobs_submitted},
            {"completed", s.jobs_completed},
            {"failed", s.jobs_failed},
            {"retried", s.jobs_retried}}},
          {"failures", std::move(failures)},
          {"idle_losses", s.idle_losses},
          {"spawns", s.spawns},
          {"respawns", s.respawns},
          {"spawn_failures", s.spawn_failures},
          {"brake",
           {{"active", s.brake_active},
            {"respawn_delay_ms", s.respawn_delay_ms},
            {"engagements", s.brake_engagements}}},
          {"shared_bodies", s.shared_bodies},
          {"region_bodies", s.region_bodies},
          {"queued_ahead", s.queued_ahead}};
}

}  // namespace tributary::merge::pool
