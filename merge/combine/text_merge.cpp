#include "merge/combine/text_merge.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include "common/json_text.hpp"
#include "merge/combine/value_compare.hpp"

namespace tributary::merge::combine {
namespace {

using config::MergeStrategy;

enum class Kind { kNull, kString, kNumber, kBool, kArray, kObject };

// The kind of a JSON value's text (never empty: MemberReader gives whole values).
Kind KindOf(std::string_view value) {
  switch (value.front()) {
    case 'n':
      return Kind::kNull;
    case '"':
      return Kind::kString;
    case 't':
    case 'f':
      return Kind::kBool;
    case '[':
      return Kind::kArray;
    case '{':
      return Kind::kObject;
    default:
      return Kind::kNumber;
  }
}

bool IsNull(std::string_view value) { return value == "null"; }

// HasContent on canonical text: not null, "", [] or {}.
bool HasContentText(std::string_view value) {
  return value != "null" && value != "\"\"" && value != "[]" && value != "{}";
}

std::optional<double> NumberOf(std::string_view text) {
  double d = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return d;
}

// Whether a string's canonical text may hold a number (AsNumber): not without a digit (canonical
// text never escapes one, and the words from_chars also reads, inf and nan, are refused).
bool MayBeNumber(std::string_view string_text) {
  return std::any_of(string_text.begin(), string_text.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

// SameValue on canonical texts: whether they agree, or nullopt when only the trees can tell.
std::optional<bool> SameText(std::string_view a, std::string_view b,
                             const config::CompareOptions& o) {
  const Kind ka = KindOf(a);
  const Kind kb = KindOf(b);
  if (ka == Kind::kNumber || kb == Kind::kNumber) {
    // A numeric string compares as a number: its text would have to be decoded.
    if (ka == Kind::kString) return MayBeNumber(a) ? std::nullopt : std::optional(false);
    if (kb == Kind::kString) return MayBeNumber(b) ? std::nullopt : std::optional(false);
    if (ka != kb) return false;  // booleans, lists and objects are not numbers
    const auto x = NumberOf(a);
    const auto y = NumberOf(b);
    if (!x || !y) return std::nullopt;
    return SameNumber(*x, *y, o);
  }
  if (ka == Kind::kString && kb == Kind::kString) {
    // Canonical texts escape alike: equal strings have equal texts.
    if (a == b) return true;
    if (o.mode != config::CompareMode::kExact) return std::nullopt;
    // With a tolerance, two numeric strings compare as numbers.
    if ((o.tolerance > 0 || o.relative > 0) && MayBeNumber(a) && MayBeNumber(b)) {
      return std::nullopt;
    }
    return false;
  }
  if (ka != kb) return false;  // values of different kinds never agree
  if (ka == Kind::kArray || ka == Kind::kObject) return std::nullopt;  // as sets, by field
  return a == b;
}

// Appends "name": as JsonTextWriter::Name does.
void AppendName(std::string& out, std::string_view name) { JsonTextWriter(out).Name(name); }

}  // namespace

TextMerger::Outcome TextMerger::Merge(std::string_view key, std::vector<TextRecordRef>& records,
                                      MergedRecordText& out, std::string* added_diff) {
  const config::ViewConfig& view = merger_.view();
  // As ViewMerger::Merge. (A text that is not an object is found below.)
  if (!OrderForMerge(view, records, [](const TextRecordRef&) { return false; })) {
    return Outcome::kNothing;
  }

  // Every (view field, value) pair, grouped by field name (stable: by priority within one).
  named_.clear();
  for (const auto& r : records) {
    const FieldMapping& mapping = merger_.keys().mappings()[r.source_index];
    MemberReader members(r.fields);
    std::string_view name, value;
    for (;;) {
      const MemberScan scan = members.Next(name, value);
      if (scan == MemberScan::kMissing) break;
      // Not an object (the trees drop such a record), or a name with escapes.
      if (scan == MemberScan::kUnsure) return Outcome::kUnsure;
      mapping.ForEachViewName(name, [&](std::string_view field) {
        named_.push_back(Named{field, &r, value});
      });
    }
  }
  std::stable_sort(named_.begin(), named_.end(),
                   [](const Named& a, const Named& b) { return a.field < b.field; });

  out.key.assign(key);
  out.fields.assign(1, '{');
  out.provenance.assign(1, '{');
  out.conflicts.assign(1, '[');
  out.sources.assign(1, '[');
  if (added_diff != nullptr) added_diff->assign(1, '{');
  for (size_t i = 0; i < records.size(); ++i) {
    if (i > 0) out.sources.push_back(',');
    JsonTextWriter(out.sources).String(view.sources[records[i].source_index].id);
  }
  out.sources.push_back(']');

  for (size_t i = 0; i < named_.size();) {
    const std::string_view field = named_[i].field;
    candidates_.clear();
    for (; i < named_.size() && named_[i].field == field; ++i) candidates_.push_back(&named_[i]);
    const config::FieldRule& rule = merger_.RuleFor(field);
    const Named* taken = nullptr;
    const std::vector<const Named*>* vouching = nullptr;
    if (!Pick(rule, taken, vouching)) return Outcome::kUnsure;
    if (taken != nullptr) AppendField(field, *taken, vouching, out, added_diff);
    // Key fields matched after normalisation ("004" and "4") never conflict.
    if (!merger_.IsKeyField(field) && !AppendConflict(field, rule.compare, out.conflicts)) {
      return Outcome::kUnsure;
    }
  }
  out.fields.push_back('}');
  out.provenance.push_back('}');
  out.has_conflicts = out.conflicts.size() > 1;
  out.conflicts.push_back(']');
  if (added_diff != nullptr) added_diff->push_back('}');
  return Outcome::kMerged;
}

std::optional<size_t> TextMerger::Classify(const config::CompareOptions& compare) {
  size_t used = 0;
  for (const Named* c : candidates_) {
    if (!HasContentText(c->value)) continue;
    bool placed = false;
    for (size_t k = 0; k < used && !placed; ++k) {
      const auto same = SameText(classes_[k].front()->value, c->value, compare);
      if (!same) return std::nullopt;
      if (*same) {
        classes_[k].push_back(c);
        placed = true;
      }
    }
    if (placed) continue;
    if (classes_.size() <= used) classes_.emplace_back();
    classes_[used].clear();
    classes_[used].push_back(c);
    ++used;
  }
  return used;
}

bool TextMerger::Pick(const config::FieldRule& rule, const Named*& taken,
                      const std::vector<const Named*>*& vouching) {
  // The first candidate, by priority, passing `usable` (First in field_strategy.cpp).
  auto first = [&](auto usable) -> const Named* {
    for (const Named* c : candidates_) {
      if (usable(c->value)) return c;
    }
    return nullptr;
  };
  auto not_null = [](std::string_view value) { return !IsNull(value); };
  switch (rule.strategy) {
    case MergeStrategy::kPriority:
      taken = first(not_null);
      return true;
    case MergeStrategy::kFirstNonEmpty:
      taken = first(HasContentText);
      return true;
    case MergeStrategy::kLatest:
      // The most recently fetched source with a value; ties go by priority.
      for (const Named* c : candidates_) {
        if (IsNull(c->value)) continue;
        if (taken == nullptr || c->record->fetched_at > taken->record->fetched_at) taken = c;
      }
      return true;
    case MergeStrategy::kVote: {
      const auto count = Classify(rule.compare);
      if (!count) return false;
      for (size_t k = 0; k < *count; ++k) {
        if (vouching == nullptr || classes_[k].size() > vouching->size()) vouching = &classes_[k];
      }
      if (vouching == nullptr) {
        taken = first(not_null);
        return true;
      }
      taken = vouching->front();
      if (vouching->size() < 2) vouching = nullptr;  // one source vouches alone: no "from"
      return true;
    }
    case MergeStrategy::kMin:
    case MergeStrategy::kMax:
    case MergeStrategy::kAvg:
    case MergeStrategy::kUnion:
      return false;  // the value is computed: the trees compute it
  }
  return false;
}

void TextMerger::AppendField(std::string_view field, const Named& taken,
                             const std::vector<const Named*>* vouching, MergedRecordText& out,
                             std::string* added_diff) const {
  const config::ViewConfig& view = merger_.view();
  if (out.fields.size() > 1) out.fields.push_back(',');
  AppendName(out.fields, field);
  out.fields.append(taken.value);
  if (added_diff != nullptr && !IsNull(taken.value)) {
    if (added_diff->size() > 1) added_diff->push_back(',');
    AppendName(*added_diff, field);
    added_diff->append("{\"after\":");
    added_diff->append(taken.value);
    added_diff->append(",\"before\":null}");
  }
  // Provenance members in name order: fetched_at, from, source. Agreeing sources all vouch for
  // a vote's value: it was fetched when the latest of them was.
  SystemTime fetched_at = taken.record->fetched_at;
  if (vouching != nullptr) {
    for (const Named* c : *vouching) fetched_at = std::max(fetched_at, c->record->fetched_at);
  }
  if (out.provenance.size() > 1) out.provenance.push_back(',');
  AppendName(out.provenance, field);
  JsonTextWriter w(out.provenance);
  w.Raw("{\"fetched_at\":");
  w.String(FetchedAtText(fetched_at));
  if (vouching != nullptr) {
    w.Raw(",\"from\":[");
    for (size_t k = 0; k < vouching->size(); ++k) {
      if (k > 0) w.Char(',');
      w.String(view.sources[(*vouching)[k]->record->source_index].id);
    }
    w.Char(']');
  }
  w.Raw(",\"source\":");
  w.String(view.sources[taken.record->source_index].id);
  w.Char('}');
}

bool TextMerger::AppendConflict(std::string_view field, const config::CompareOptions& compare,
                                std::string& conflicts) {
  // As FindConflict: at least two values with content, not all agreeing.
  if (!compare.report_conflicts || candidates_.size() < 2) return true;
  conflicting_.clear();
  for (const Named* c : candidates_) {
    if (HasContentText(c->value)) conflicting_.push_back(c);
  }
  if (conflicting_.size() < 2) return true;
  const auto count = Classify(compare);
  if (!count) return false;
  if (*count < 2) return true;
  // Each source's value, by source id (a map in the tree; a source's first value kept).
  const config::ViewConfig& view = merger_.view();
  auto id_of = [&](const Named* c) -> const std::string& {
    return view.sources[c->record->source_index].id;
  };
  std::stable_sort(conflicting_.begin(), conflicting_.end(),
                   [&](const Named* a, const Named* b) { return id_of(a) < id_of(b); });
  if (conflicts.size() > 1) conflicts.push_back(',');
  JsonTextWriter w(conflicts);
  w.Raw("{\"field\":");
  w.String(field);
  w.Raw(",\"values\":{");
  for (size_t k = 0; k < conflicting_.size(); ++k) {
    if (k > 0 && id_of(conflicting_[k]) == id_of(conflicting_[k - 1])) continue;
    if (k > 0) w.Char(',');
    w.Name(id_of(conflicting_[k]));
    w.Raw(conflicting_[k]->value);
  }
  w.Raw("}}");
  return true;
}

}  // namespace tributary::merge::combine
