#include "config/view_definitions.hpp"

#include <re2/re2.h>

#include <cmath>

namespace tributary::config {
namespace {

using nlohmann::json;

const std::vector<std::string> kOptionKeys = {"normalize", "join", "strategy", "compare", "fields"};
const std::vector<std::string> kCompareKeys = {"mode", "tolerance", "relative", "conflicts"};
const std::vector<std::string> kFieldRuleKeys = {"strategy", "compare"};
const std::vector<std::string> kHistoryKeys = {"max_age", "max_versions", "prune_every"};
const std::vector<std::string> kNormalizerObjectKeys = {"regex", "map"};

std::optional<MergeStrategy> StrategyValue(const json& v, const std::string& path, JsonReader& r) {
  return r.Enum<MergeStrategy>(v, path, "strategy",
                               {{"priority", MergeStrategy::kPriority},
                                {"latest", MergeStrategy::kLatest},
                                {"vote", MergeStrategy::kVote},
                                {"min", MergeStrategy::kMin},
                                {"max", MergeStrategy::kMax},
                                {"avg", MergeStrategy::kAvg},
                                {"union", MergeStrategy::kUnion},
                                {"first_non_empty", MergeStrategy::kFirstNonEmpty}});
}

std::optional<double> NonNegativeNumber(const json& v, const std::string& path, JsonReader& r) {
  if (!v.is_number()) {
    r.Error(path, std::string("expected a number, got ") + JsonTypeName(v));
    return std::nullopt;
  }
  const double d = v.get<double>();
  if (!std::isfinite(d) || d < 0) {
    r.Error(path, "must be a number of at least 0");
    return std::nullopt;
  }
  return d;
}

void ParseCompare(const json& v, const std::string& path, JsonReader& r, CompareOptions& out) {
  if (!r.ExpectObject(v, path)) return;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string p = JoinKey(path, it.key());
    if (it.key() == "mode") {
      if (auto m = r.Enum<CompareMode>(it.value(), p, "compare mode",
                                       {{"exact", CompareMode::kExact},
                                        {"casefold", CompareMode::kCasefold},
                                        {"normalized", CompareMode::kNormalized}})) {
        out.mode = *m;
      }
    } else if (it.key() == "tolerance") {
      if (auto d = NonNegativeNumber(it.value(), p, r)) out.tolerance = *d;
    } else if (it.key() == "relative") {
      if (auto d = NonNegativeNumber(it.value(), p, r)) out.relative = *d;
    } else if (it.key() == "conflicts") {
      if (auto b = r.Bool(it.value(), p)) out.report_conflicts = *b;
    } else {
      r.UnknownKey(path, it.key(), kCompareKeys);
    }
  }
}

std::optional<KeyNormalizer> ParseNormalizer(const json& v, const std::string& path,
                                             JsonReader& r) {
  KeyNormalizer n;
  if (v.is_string()) {
    auto kind =
        r.Enum<KeyNormalizer::Kind>(v, path, "normaliser",
                                    {{"trim", KeyNormalizer::Kind::kTrim},
                                     {"collapse_space", KeyNormalizer::Kind::kCollapseSpace},
                                     {"casefold", KeyNormalizer::Kind::kCasefold},
                                     {"nfkc", KeyNormalizer::Kind::kNfkc},
                                     {"unaccent", KeyNormalizer::Kind::kUnaccent},
                                     {"digits", KeyNormalizer::Kind::kDigits},
                                     {"strip_zeros", KeyNormalizer::Kind::kStripZeros}});
    if (!kind) return std::nullopt;
    n.kind = *kind;
    return n;
  }
  if (!v.is_object() || v.size() != 1) {
    r.Error(path, std::string("expected a normaliser name or an object with one key, \"regex\" "
                              "or \"map\", got ") +
                      (v.is_object() ? "an object with " + std::to_string(v.size()) + " keys"
                                     : JsonTypeName(v)));
    return std::nullopt;
  }
  const auto it = v.begin();
  const std::string p = JoinKey(path, it.key());
  if (it.key() == "regex") {
    auto pattern = r.NonEmptyString(it.value(), p);
    if (!pattern) return std::nullopt;
    RE2 re(*pattern, RE2::Quiet);
    if (!re.ok()) {
      r.Error(p, "invalid regular expression " + Quote(*pattern) + ": " + re.error());
      return std::nullopt;
    }
    n.kind = KeyNormalizer::Kind::kRegex;
    n.pattern = *pattern;
    return n;
  }
  if (it.key() == "map") {
    if (!r.ExpectObject(it.value(), p)) return std::nullopt;
    n.kind = KeyNormalizer::Kind::kMap;
    const size_t before = r.error_count();
    for (auto m = it.value().begin(); m != it.value().end(); ++m) {
      if (auto to = r.String(m.value(), JoinKey(p, m.key()))) n.map[m.key()] = *to;
    }
    if (r.error_count() != before) return std::nullopt;
    return n;
  }
  r.UnknownKey(path, it.key(), kNormalizerObjectKeys);
  return std::nullopt;
}

std::optional<std::vector<KeyNormalizer>> ParseNormalizerList(const json& v,
                                                              const std::string& path,
                                                              JsonReader& r) {
  if (!r.ExpectArray(v, path)) return std::nullopt;
  std::vector<KeyNormalizer> out;
  const size_t before = r.error_count();
  for (size_t i = 0; i < v.size(); ++i) {
    if (auto n = ParseNormalizer(v[i], JoinIndex(path, i), r)) out.push_back(std::move(*n));
  }
  if (r.error_count() != before) return std::nullopt;
  return out;
}

void ParseNormalize(const json& v, const std::string& path, JsonReader& r, ViewConfig& view) {
  if (v.is_array()) {
    if (auto list = ParseNormalizerList(v, path, r)) view.normalize = std::move(*list);
    return;
  }
  if (!v.is_object()) {
    r.Error(path, std::string("expected a list of normalisers (for every key field) or an object "
                              "of key field -> list, got ") +
                      JsonTypeName(v));
    return;
  }
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (auto list = ParseNormalizerList(it.value(), JoinKey(path, it.key()), r)) {
      view.field_normalize[it.key()] = std::move(*list);
    }
  }
}

void ParseFieldRules(const json& v, const std::string& path, JsonReader& r, ViewConfig& view) {
  if (!r.ExpectObject(v, path)) return;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string p = JoinKey(path, it.key());
    FieldRule rule = view.defaults;
    if (it.value().is_string()) {
      if (auto s = StrategyValue(it.value(), p, r)) rule.strategy = *s;
      view.field_rules[it.key()] = rule;
      continue;
    }
    if (!it.value().is_object()) {
      r.Error(p, std::string("expected a strategy name or an object with \"strategy\" and/or "
                             "\"compare\", got ") +
                     JsonTypeName(it.value()));
      continue;
    }
    for (auto f = it.value().begin(); f != it.value().end(); ++f) {
      const std::string fp = JoinKey(p, f.key());
      if (f.key() == "strategy") {
        if (auto s = StrategyValue(f.value(), fp, r)) rule.strategy = *s;
      } else if (f.key() == "compare") {
        ParseCompare(f.value(), fp, r, rule.compare);
      } else {
        r.UnknownKey(p, f.key(), kFieldRuleKeys);
      }
    }
    view.field_rules[it.key()] = rule;
  }
}

}  // namespace

const char* JoinKindName(JoinKind j) {
  switch (j) {
    case JoinKind::kOuter:
      return "outer";
    case JoinKind::kInner:
      return "inner";
    case JoinKind::kLeft:
      return "left";
  }
  return "outer";
}

const char* MergeStrategyName(MergeStrategy s) {
  switch (s) {
    case MergeStrategy::kPriority:
      return "priority";
    case MergeStrategy::kLatest:
      return "latest";
    case MergeStrategy::kVote:
      return "vote";
    case MergeStrategy::kMin:
      return "min";
    case MergeStrategy::kMax:
      return "max";
    case MergeStrategy::kAvg:
      return "avg";
    case MergeStrategy::kUnion:
      return "union";
    case MergeStrategy::kFirstNonEmpty:
      return "first_non_empty";
  }
  return "priority";
}

const char* CompareModeName(CompareMode m) {
  switch (m) {
    case CompareMode::kExact:
      return "exact";
    case CompareMode::kCasefold:
      return "casefold";
    case CompareMode::kNormalized:
      return "normalized";
  }
  return "exact";
}

const std::vector<std::string>& ViewOptionKeys() { return kOptionKeys; }

bool ParseViewOption(const std::string& key, const json& value, const std::string& path,
                     JsonReader& r, ViewConfig& view) {
  const std::string p = JoinKey(path, key);
  if (key == "normalize") {
    ParseNormalize(value, p, r, view);
  } else if (key == "join") {
    if (auto j = r.Enum<JoinKind>(value, p, "join",
                                  {{"outer", JoinKind::kOuter},
                                   {"inner", JoinKind::kInner},
                                   {"left", JoinKind::kLeft}})) {
      view.join = *j;
    }
  } else if (key == "strategy" || key == "compare" || key == "fields") {
    // Handled by FinishViewOptions order-independently: "fields" rules start from the view's
    // defaults, which may come later in the object.
    return true;
  } else {
    return false;
  }
  return true;
}

void FinishViewOptions(const json& definition, const std::string& path, JsonReader& r,
                       ViewConfig& view) {
  if (auto it = definition.find("strategy"); it != definition.end()) {
    if (auto s = StrategyValue(*it, JoinKey(path, "strategy"), r)) view.defaults.strategy = *s;
  }
  if (auto it = definition.find("compare"); it != definition.end()) {
    ParseCompare(*it, JoinKey(path, "compare"), r, view.defaults.compare);
  }
  if (auto it = definition.find("fields"); it != definition.end()) {
    ParseFieldRules(*it, JoinKey(path, "fields"), r, view);
  }
}

void CheckViewOptionFields(const ViewConfig& view, const std::set<std::string>& provided,
                           const std::string& path, JsonReader& r) {
  const std::vector<std::string> known(provided.begin(), provided.end());
  for (const auto& [field, rule] : view.field_rules) {
    if (provided.count(field)) continue;
    r.Error(JoinKey(JoinKey(path, "fields"), field), "no source of this view provides field " +
                                                         Quote(field) +
                                                         Suggest(field, known, "its fields are"));
  }
  for (const auto& [field, steps] : view.field_normalize) {
    if (std::find(view.key.begin(), view.key.end(), field) != view.key.end()) continue;
    r.Error(JoinKey(JoinKey(path, "normalize"), field),
            Quote(field) + " is not a key field of this view" +
                Suggest(field, view.key, "its key fields are"));
  }
}

void ParseHistory(const json& v, const std::string& path, JsonReader& r, HistoryConfig& history) {
  if (!r.ExpectObject(v, path)) return;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string p = JoinKey(path, it.key());
    if (it.key() == "max_age") {
      if (auto d = r.DurationValue(it.value(), p, std::chrono::seconds(1))) history.max_age = *d;
    } else if (it.key() == "max_versions") {
      if (auto n = r.Integer(it.value(), p, 1, 1'000'000'000)) history.max_versions = *n;
    } else if (it.key() == "prune_every") {
      if (auto d = r.DurationValue(it.value(), p, std::chrono::seconds(1))) {
        history.prune_every = *d;
      }
    } else {
      r.UnknownKey(path, it.key(), kHistoryKeys);
    }
  }
}

}  // namespace tributary::config
