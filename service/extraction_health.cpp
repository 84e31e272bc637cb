#include "service/extraction_health.hpp"

#include <cmath>
#include <cstdio>

namespace tributary::service {
namespace {

std::string Percent(double share) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.0f%%", share * 100);
  return buffer;
}

}  // namespace

bool ExtractionHealth::Known(const std::string& source_id) const {
  std::lock_guard lock(mu_);
  const auto it = sources_.find(source_id);
  return it != sources_.end() && it->second.last_good.has_value();
}

void ExtractionHealth::Seed(const std::string& source_id, uint64_t records) {
  std::lock_guard lock(mu_);
  auto& state = sources_[source_id];
  if (!state.last_good) state.last_good = records;
}

ExtractionHealth::Verdict ExtractionHealth::Evaluate(const config::SourceConfig& source,
                                                     SystemTime at, uint64_t records, int pages,
                                                     bool truncated, const nlohmann::json& stats) {
  const auto& health = source.extraction.health;
  std::lock_guard lock(mu_);
  State& state = sources_[source.id];
  Verdict verdict;
  if (state.last_good && *state.last_good > 0 && health.max_drop && *health.max_drop < 1.0) {
    const double previous = static_cast<double>(*state.last_good);
    const double drop = (previous - static_cast<double>(records)) / previous;
    if (drop > *health.max_drop) {
      verdict.flagged = true;
      verdict.keep_previous = health.keep_previous;
      verdict.reason = "record count dropped from " + std::to_string(*state.last_good) + " to " +
                       std::to_string(records) + " (" + Percent(drop) + ", more than " +
                       Percent(*health.max_drop) + ")" +
                       (verdict.keep_previous ? "; keeping the previous snapshot" : "");
    }
  }
  const nlohmann::json counts = stats.is_object() ? stats : nlohmann::json::object();
  nlohmann::json fill = nlohmann::json::object();
  const auto filled = counts.value("filled", nlohmann::json::object());
  for (const auto& field : source.fields) {
    const uint64_t n = filled.value(field.name, uint64_t{0});
    fill[field.name] =
        records == 0
            ? 0.0
            : std::round(1000.0 * static_cast<double>(n) / static_cast<double>(records)) / 1000.0;
  }
  if (source.fields.empty()) {  // implicit fields (feeds, CSV columns)
    for (const auto& [name, count] : filled.items()) {
      fill[name] =
          records == 0
              ? 0.0
              : std::round(1000.0 * count.get<double>() / static_cast<double>(records)) / 1000.0;
    }
  }
  const nlohmann::json last_run = {{"at", FormatRfc3339(at)},
                    {"records", records},
                    {"pages", pages},
                    {"truncated_at_max_pages", truncated},
                    {"fill", std::move(fill)},
                    {"dropped_missing_required", counts.value("dropped_missing_required", 0)},
                    {"dropped_missing_key", counts.value("dropped_missing_key", 0)},
                    {"duplicate_keys", counts.value("duplicate_keys", 0)},
                    {"flagged", verdict.flagged},
                    {"reason", verdict.flagged ? nlohmann::json(verdict.reason) : nullptr}};
  state.last_run = last_run.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (!verdict.keep_previous) {
    state.last_good = records;
    state.last_good_at = at;
  }
  return verdict;
}

nlohmann::json ExtractionHealth::SourceJson(const std::string& source_id) const {
  std::lock_guard lock(mu_);
  const auto it = sources_.find(source_id);
  if (it == sources_.end()) return nullptr;
  const State& state = it->second;
  nlohmann::json good = nullptr;
  if (state.last_good) {
    good = {{"records", *state.last_good},
            {"at", state.last_good_at ? nlohmann::json(FormatRfc3339(*state.last_good_at))
                                      : nlohmann::json(nullptr)}};
  }
  return {{"last_run", state.last_run.empty() ? nlohmann::json(nullptr)
                                              : nlohmann::json::parse(state.last_run)},
          {"last_good", std::move(good)}};
}

}  // namespace tributary::service
