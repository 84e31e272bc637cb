#include "service/scheduler/fetch_state.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "config/loader.hpp"
#include "fetchers/retry_timing.hpp"

namespace tributary::service::scheduler {
namespace {

using std::chrono::milliseconds;

const std::string* Header(const fetchers::FetchResult& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::optional<int64_t> Integer(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || v < 0) return std::nullopt;
  (void)end;
  return v;
}

nlohmann::json Time(const std::optional<SystemTime>& t) {
  return t ? nlohmann::json(FormatRfc3339(*t)) : nlohmann::json();
}

}  // namespace

std::optional<milliseconds> ServerHint(const fetchers::FetchResult& r) {
  if (const std::string* cc = Header(r, "cache-control")) {
    const std::string lower = Lower(*cc);
    if (lower.find("no-store") != std::string::npos ||
        lower.find("no-cache") != std::string::npos) {
      return std::nullopt;
    }
    size_t at = lower.find("max-age=");
    // "s-maxage" is for shared caches, and contains no "max-age=".
    if (at != std::string::npos) {
      std::string_view rest = std::string_view(lower).substr(at + 8);
      rest = rest.substr(0, rest.find_first_of(", ;"));
      if (auto secs = Integer(rest)) return milliseconds(*secs * 1000);
    }
  }
  const std::string* expires = Header(r, "expires");
  const std::string* date = Header(r, "date");
  if (expires && date) {
    const auto e = fetchers::ParseHttpDate(*expires);
    const auto d = fetchers::ParseHttpDate(*date);
    if (e && d && *e > *d) return std::chrono::duration_cast<milliseconds>(*e - *d);
  }
  // RSS 2.0 <ttl>: minutes a feed may be cached. Only near the top, where <channel> puts it.
  const std::string_view head = std::string_view(r.body).substr(0, 64 * 1024);
  if (const size_t at = head.find("<ttl>"); at != std::string_view::npos) {
    const size_t end = head.find("</ttl>", at);
    if (end != std::string_view::npos) {
      std::string_view value = head.substr(at + 5, end - at - 5);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
      if (auto minutes = Integer(value)) return milliseconds(*minutes * 60 * 1000);
    }
  }
  return std::nullopt;
}

const char* FetchStateRegistry::UseName(Use use) {
  switch (use) {
    case Use::kExtracted:
      return "extracted";
    case Use::kNotModified:
      return "not_modified";
    case Use::kUnchanged:
      return "unchanged";
    case Use::kFailed:
      return "failed";
  }
  return "failed";
}

void FetchStateRegistry::Record(const std::string& id, const fetchers::FetchResult& result, Use use,
                                uint64_t bytes_saved) {
  LastFetch kept{.started = result.started,
                 .final_url = result.final_url,
                 .status = result.status,
                 .bytes = result.bytes,
                 .wire_bytes = result.wire_bytes,
                 .duration = result.duration,
                 .attempts = result.attempts,
                 .not_sent = result.not_sent,
                 .error = result.error,
                 .group = result.group,
                 .robots = result.robots,
                 .retry_after = result.retry_after,
                 .circuit_open_until = result.circuit_open_until};
  auto hint = use == Use::kFailed ? std::nullopt : ServerHint(result);
  std::lock_guard lock(mu_);
  State& s = states_[id];
  s.last = std::move(kept);
  s.last_use = use;
  if (!result.not_sent) ++s.fetches;
  if (use == Use::kNotModified) ++s.not_modified;
  if (use == Use::kUnchanged) ++s.unchanged;
  if (use == Use::kFailed) ++s.failures;
  s.bytes_saved += bytes_saved;
  s.hint = hint;
}

Completion FetchStateRegistry::CompletionOf(const std::string& id) const {
  Completion c;
  std::lock_guard lock(mu_);
  const auto it = states_.find(id);
  if (it == states_.end() || !it->second.last) return c;
  const auto& r = *it->second.last;
  c.failed = it->second.last_use == Use::kFailed;
  c.retry_after = r.retry_after;
  c.circuit_open_until = r.circuit_open_until;
  c.robots_disallowed = r.robots == fetchers::RobotsVerdict::kDisallowed;
  c.hint = it->second.hint;
  return c;
}

std::string FetchStateRegistry::GroupOf(const std::string& id) const {
  std::lock_guard lock(mu_);
  const auto it = states_.find(id);
  return it == states_.end() || !it->second.last ? std::string() : it->second.last->group;
}

nlohmann::json FetchStateRegistry::Json(const std::string& id,
                                        const std::optional<SourceSchedule>& schedule,
                                        const std::optional<fetchers::GroupState>& group) const {
  nlohmann::json j = nlohmann::json::object();
  if (schedule) {
    j["next_due"] = FormatRfc3339(schedule->next_due);
    j["next_due_reason"] = schedule->reason;
    j["in_flight"] = schedule->in_flight;
    j["consecutive_failures"] = schedule->consecutive_failures;
  }
  {
    std::lock_guard lock(mu_);
    const auto it = states_.find(id);
    if (it != states_.end()) {
      const State& s = it->second;
      if (s.last) {
        const auto& r = *s.last;
        nlohmann::json last = {
            {"time", FormatRfc3339(r.started)},
            {"final_url", r.final_url},  // where redirects led (the latest page's)
            {"http_status", r.status},
            {"bytes", r.bytes},
            {"wire_bytes", r.wire_bytes},
            {"duration_ms", r.duration.count()},
            {"attempts", r.attempts},
            {"use", UseName(s.last_use)},
            {"sent", !r.not_sent},
            {"error", r.error ? nlohmann::json(r.error->message) : nlohmann::json()}};
        if (r.error) last["error_class"] = ErrorClassName(r.error->error_class);
        j["last"] = std::move(last);
        j["robots"] = fetchers::RobotsVerdictName(r.robots);
        j["retry_after"] = Time(r.retry_after);
        j["circuit_open_until"] = Time(r.circuit_open_until);
        j["group_key"] = r.group;
      }
      const uint64_t answered = s.fetches;
      j["counts"] = {{"fetches", s.fetches},
                     {"failures", s.failures},
                     {"not_modified", s.not_modified},
                     {"unchanged", s.unchanged},
                     {"not_modified_ratio", answered == 0 ? 0.0
                                                          : static_cast<double>(s.not_modified) /
                                                                static_cast<double>(answered)},
                     {"bytes_saved", s.bytes_saved}};
      j["server_hint"] =
          s.hint ? nlohmann::json(config::FormatDuration(*s.hint)) : nlohmann::json();
    }
  }
  if (group) {
    j["group"] = {{"key", group->key},
                  {"concurrency", group->concurrency},
                  {"spacing", config::FormatDuration(group->spacing)},
                  {"rate_per_second", group->rate},
                  {"burst", group->burst},
                  {"in_flight", group->in_flight},
                  {"queued", group->queued},
                  {"circuit", group->circuit},
                  {"consecutive_failures", group->consecutive_failures},
                  {"circuit_open_until", Time(group->circuit_open_until)},
                  {"paused_until", Time(group->paused_until)},
                  {"retry_budget", group->retry_budget},
                  {"requests", group->requests},
                  {"retries", group->retries},
                  {"retries_denied", group->retries_denied},
                  {"last_start", Time(group->last_start)}};
  }
  return j;
}

}  // namespace tributary::service::scheduler
