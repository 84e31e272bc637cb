#include "service/extraction_guard.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cstdio>

#include "common/log.hpp"
#include "common/time.hpp"

namespace tributary::service {

namespace asio = boost::asio;
using merge::pool::FailureCause;
using merge::pool::JobOutcome;

namespace {

constexpr std::string_view kQuarantined = "quarantined: ";

std::optional<FailureCause> CauseFromName(const std::string& name) {
  for (FailureCause c : merge::pool::kFailureCauses) {
    if (name == merge::pool::FailureCauseName(c)) return c;
  }
  return std::nullopt;
}

}  // namespace

ExtractionGuard::ExtractionGuard(merge::pool::WorkerPool& pool, asio::io_context& writer_io,
                                 storage::Store& store)
    : pool_(pool), writer_io_(writer_io), store_(store) {}

std::string ExtractionGuard::Hash(std::string_view bytes) {
  const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  char out[33];
  std::snprintf(out, sizeof out, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return out;
}

Status ExtractionGuard::Load() {
  auto loaded = store_.LoadQuarantines();
  if (!loaded) return loaded.error();
  std::lock_guard lock(mu_);
  for (auto& e : *loaded) {
    auto& s = sources_[e.source_id];
    s.entries.push_back(std::move(e));
    s.stats.quarantined_documents = s.entries.size();
  }
  if (!loaded->empty()) {
    Logger("pool")->info("{} quarantined document(s) will not be parsed again until they change",
                         loaded->size());
  }
  return Status::Ok();
}

void ExtractionGuard::Extract(const std::string& source_id, std::string_view definition,
                              merge::pool::Job job, Callback done) {
  std::string content_hash = Hash(job.body);
  // The canonical text (config::DefinitionText): the bytes quarantines were always keyed by.
  std::string definition_hash = Hash(definition);
  {
    std::unique_lock lock(mu_);
    SourceState& s = sources_[source_id];
    const auto it = std::find_if(s.entries.begin(), s.entries.end(), [&](const auto& e) {
      return e.content_hash == content_hash && e.definition_hash == definition_hash;
    });
    if (it != s.entries.end()) {
      ++s.stats.skipped;
      s.stats.current = *it;
      const storage::QuarantineEntry entry = *it;
      lock.unlock();
      JobOutcome outcome;
      outcome.failure = Error::SourceBroken(std::string(kQuarantined) + entry.reason);
      outcome.cause = CauseFromName(entry.cause);
      Logger("pool")->info("source={} document {} is quarantined since {}; not parsed", source_id,
                           content_hash, FormatRfc3339(entry.since));
      done(std::move(outcome));
      return;
    }
    ++s.stats.jobs;
  }
  pool_.Submit(std::move(job), [this, source_id, content_hash = std::move(content_hash),
                                definition_hash = std::move(definition_hash),
                                done = std::move(done)](JobOutcome outcome) {
    OnOutcome(source_id, content_hash, definition_hash, outcome);
    done(std::move(outcome));
  });
}

void ExtractionGuard::OnOutcome(const std::string& source_id, const std::string& content_hash,
                                const std::string& definition_hash, JobOutcome& outcome) {
  std::optional<storage::QuarantineEntry> added;
  std::optional<storage::QuarantineEntry> evicted;
  {
    std::lock_guard lock(mu_);
    SourceState& s = sources_[source_id];
    for (FailureCause c : outcome.losses) ++s.stats.losses[static_cast<size_t>(c)];
    if (!outcome.losses.empty() && outcome.attempts > 1) ++s.stats.retried;
    if (outcome.reply) {
      ++s.stats.completed;
      s.stats.current.reset();
      return;
    }
    ++s.stats.failed;
    if (!outcome.cause || !outcome.failure) return;  // not the document's fault (pool stopped)
    storage::QuarantineEntry e;
    e.source_id = source_id;
    e.content_hash = content_hash;
    e.definition_hash = definition_hash;
    e.reason = outcome.failure->message;
    e.cause = merge::pool::FailureCauseName(*outcome.cause);
    e.since = std::chrono::system_clock::now();
    s.entries.push_back(e);
    if (s.entries.size() > kMaxEntriesPerSource) {
      evicted = std::move(s.entries.front());
      s.entries.erase(s.entries.begin());
    }
    ++s.stats.quarantines;
    s.stats.current = e;
    s.stats.quarantined_documents = s.entries.size();
    added = std::move(e);
  }
  Logger("pool")->warn("source={} document {} quarantined: {}", source_id, content_hash,
                       added->reason);
  outcome.failure->message = std::string(kQuarantined) + outcome.failure->message;
  if (evicted) Persist(std::move(*evicted), /*save=*/false);
  Persist(std::move(*added), /*save=*/true);
}

void ExtractionGuard::Persist(storage::QuarantineEntry entry, bool save) {
  asio::post(writer_io_, [this, entry = std::move(entry), save] {
    const Status stored = save ? store_.SaveQuarantine(entry) : store_.DeleteQuarantine(entry);
    if (!stored) {
      Logger("store")->error("source={} cannot store a quarantine change: {}", entry.source_id,
                             stored.error().message);
    }
  });
}

SourceExtractionStats ExtractionGuard::SourceStats(const std::string& source_id) const {
  std::lock_guard lock(mu_);
  const auto it = sources_.find(source_id);
  return it == sources_.end() ? SourceExtractionStats{} : it->second.stats;
}

std::map<std::string, SourceExtractionStats> ExtractionGuard::AllSourceStats() const {
  std::lock_guard lock(mu_);
  std::map<std::string, SourceExtractionStats> out;
  for (const auto& [id, s] : sources_) out.emplace(id, s.stats);
  return out;
}

nlohmann::json ExtractionGuard::SourceJson(const std::string& source_id) const {
  const SourceExtractionStats s = SourceStats(source_id);
  nlohmann::json failures = nlohmann::json::object();
  for (FailureCause c : merge::pool::kFailureCauses) {
    failures[merge::pool::FailureCauseName(c)] = s.losses[static_cast<size_t>(c)];
  }
  nlohmann::json quarantine = nullptr;
  if (s.current) {
    quarantine = {{"reason", std::string(kQuarantined) + s.current->reason},
                  {"cause", s.current->cause},
                  {"content_hash", s.current->content_hash},
                  {"since", FormatRfc3339(s.current->since)}};
  }
  return {{"jobs", s.jobs},
          {"completed", s.completed},
          {"failed", s.failed},
          {"retried", s.retried},
          {"failures", std::move(failures)},
          {"quarantined", s.current.has_value()},
          {"quarantine", std::move(quarantine)},
          {"quarantines", s.quarantines},
          {"skipped_quarantined", s.skipped},
          {"quarantined_documents", s.quarantined_documents}};
}

}  // namespace tributary::service
