#include "merge/combine/field_strategy.hpp"

#include <algorithm>

#include "merge/combine/value_compare.hpp"

namespace tributary::merge::combine {
namespace {

using config::MergeStrategy;

FieldOutcome From(const Candidate& c) {
  return FieldOutcome{*c.value, FieldProvenance{*c.source, c.fetched_at, {}}};
}

// The first candidate, by priority, passing `usable`.
template <class Pred>
std::optional<FieldOutcome> First(const std::vector<Candidate>& candidates, Pred usable) {
  for (const auto& c : candidates) {
    if (usable(*c.value)) return From(c);
  }
  return std::nullopt;
}

bool NotNull(const nlohmann::json& v) { return !v.is_null(); }

// Groups candidates with content into classes of agreeing values (the first member of each,
// by priority, represents it). Greedy: a value joins the first class whose representative it
// agrees with, so the classes are in priority order of their representatives.
std::vector<std::vector<const Candidate*>> Classes(const std::vector<Candidate>& candidates,
                                                   const config::CompareOptions& compare) {
  std::vector<std::vector<const Candidate*>> classes;
  for (const auto& c : candidates) {
    if (!HasContent(*c.value)) continue;
    bool placed = false;
    for (auto& cls : classes) {
      if (SameValue(*cls.front()->value, *c.value, compare)) {
        cls.push_back(&c);
        placed = true;
        break;
      }
    }
    if (!placed) classes.push_back({&c});
  }
  return classes;
}

std::optional<FieldOutcome> Extreme(const std::vector<Candidate>& candidates, bool want_max) {
  const Candidate* best = nullptr;
  double best_value = 0;
  for (const auto& c : candidates) {
    const auto n = AsNumber(*c.value);
    if (!n) continue;
    if (best == nullptr || (want_max ? *n > best_value : *n < best_value)) {
      best = &c;
      best_value = *n;
    }
  }
  if (best == nullptr) return First(candidates, NotNull);
  FieldOutcome out = From(*best);
  out.value = best->value->is_number() ? *best->value : nlohmann::json(best_value);
  return out;
}

std::optional<FieldOutcome> Average(const std::vector<Candidate>& candidates) {
  double sum = 0;
  std::vector<const Candidate*> used;
  for (const auto& c : candidates) {
    if (auto n = AsNumber(*c.value)) {
      sum += *n;
      used.push_back(&c);
    }
  }
  if (used.empty()) return First(candidates, NotNull);
  FieldOutcome out = From(*used.front());
  out.value = sum / static_cast<double>(used.size());
  for (const auto* c : used) {
    out.provenance.from.push_back(*c->source);
    out.provenance.fetched_at = std::max(out.provenance.fetched_at, c->fetched_at);
  }
  if (used.size() == 1) out.provenance.from.clear();
  return out;
}

std::optional<FieldOutcome> Union(const std::vector<Candidate>& candidates,
                                  const config::CompareOptions& compare) {
  nlohmann::json items = nlohmann::json::array();
  std::optional<FieldOutcome> out;
  auto add = [&](const nlohmann::json& item) {
    if (!HasContent(item)) return false;
    for (const auto& have : items) {
      if (SameValue(have, item, compare)) return false;
    }
    items.push_back(item);
    return true;
  };
  for (const auto& c : candidates) {
    bool contributed = false;
    if (c.value->is_array()) {
      for (const auto& item : *c.value) contributed = add(item) || contributed;
    } else {
      contributed = add(*c.value);
    }
    if (!contributed) continue;
    if (!out) {
      out = From(c);
    } else {
      out->provenance.fetched_at = std::max(out->provenance.fetched_at, c.fetched_at);
    }
    out->provenance.from.push_back(*c.source);
  }
  if (!out) return std::nullopt;
  if (out->provenance.from.size() == 1) out->provenance.from.clear();
  out->value = std::move(items);
  return out;
}

}  // namespace

std::optional<FieldOutcome> MergeField(const config::FieldRule& rule,
                                       const std::vector<Candidate>& candidates) {
  switch (rule.strategy) {
    case MergeStrategy::kPriority:
      return First(candidates, NotNull);
    case MergeStrategy::kFirstNonEmpty:
      return First(candidates, HasContent);
    case MergeStrategy::kLatest: {
      const Candidate* best = nullptr;
      for (const auto& c : candidates) {
        if (c.value->is_null()) continue;
        // Candidates carry their source's latest fetch time: the most recently fetched source
        // with a value wins; ties go by priority.
        if (best == nullptr || c.fetched_at > best->fetched_at) best = &c;
      }
      if (best == nullptr) return std::nullopt;
      return From(*best);
    }
    case MergeStrategy::kVote: {
      const auto classes = Classes(candidates, rule.compare);
      const std::vector<const Candidate*>* best = nullptr;
      for (const auto& cls : classes) {
        if (best == nullptr || cls.size() > best->size()) best = &cls;  // ties: priority
      }
      if (best == nullptr) return First(candidates, NotNull);
      FieldOutcome out = From(*best->front());
      if (best->size() > 1) {
        // Every agreeing source vouches for the value: it was fetched when the latest of them
        // was (as for avg and union).
        for (const auto* c : *best) {
          out.provenance.from.push_back(*c->source);
          out.provenance.fetched_at = std::max(out.provenance.fetched_at, c->fetched_at);
        }
      }
      return out;
    }
    case MergeStrategy::kMin:
      return Extreme(candidates, false);
    case MergeStrategy::kMax:
      return Extreme(candidates, true);
    case MergeStrategy::kAvg:
      return Average(candidates);
    case MergeStrategy::kUnion:
      return Union(candidates, rule.compare);
  }
  return std::nullopt;
}

std::optional<FieldConflict> FindConflict(const std::string& field,
                                          const config::CompareOptions& compare,
                                          const std::vector<Candidate>& candidates) {
  if (!compare.report_conflicts || candidates.size() < 2) return std::nullopt;
  size_t with_content = 0;
  for (const auto& c : candidates) with_content += HasContent(*c.value) ? 1 : 0;
  if (with_content < 2) return std::nullopt;
  if (Classes(candidates, compare).size() < 2) return std::nullopt;
  FieldConflict conflict;
  conflict.field = field;
  for (const auto& c : candidates) {
    if (HasContent(*c.value)) conflict.values.emplace(*c.source, *c.value);
  }
  return conflict;
}

}  // namespace tributary::merge::combine
