#include "merge/combine/text_merge.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include "common/json_text.hpp"
#include "common/small_sort.hpp"
#include "common/text_equal.hpp"
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

}  // namespace

TextMerger::TextMerger(const ViewMerger& merger)
    : merger_(merger),
      source_names_(merger.view().sources.size()),
      plain_provenance_(merger.view().sources.size()) {
  for (const auto& source : merger.view().sources) {
    JsonTextWriter(quoted_source_ids_.emplace_back()).String(source.id);
  }
}

const TextMerger::ViewField& TextMerger::Intern(std::string_view view_field) {
  if (auto it = view_fields_.find(view_field); it != view_fields_.end()) return it->second;
  ViewField& f = view_fields_.emplace(std::string(view_field), ViewField()).first->second;
  JsonTextWriter(f.quoted).String(view_field);
  f.rule = &merger_.RuleFor(view_field);
  f.is_key = merger_.IsKeyField(view_field);
  ranks_stale_ = true;
  return f;
}

void TextMerger::Rerank() {
  uint32_t rank = 0;
  for (auto& [name, field] : view_fields_) field.rank = rank++;  // in name order
  ranks_stale_ = false;
}

const TextMerger::SourceName* TextMerger::Resolve(size_t source_index, std::string_view name,
                                                  size_t& hint) {
  std::vector<SourceName>& names = source_names_[source_index];
  // From the hint on, then from the start: a record with the usual names in the usual order
  // finds each at the first place it looks.
  for (size_t n = 0; n < names.size(); ++n) {
    const size_t at = (hint + n) % names.size();
    if (TextEqual(names[at].name, name)) {
      hint = at + 1;
      return &names[at];
    }
  }
  if (names.size() >= kMaxNamesPerSource) return nullptr;
  SourceName& added = names.emplace_back();
  added.name.assign(name);
  merger_.keys().mappings()[source_index].ForEachViewName(
      name, [&](std::string_view field) { added.fields.push_back(&Intern(field)); });
  hint = names.size();
  return &added;
}

const std::string& TextMerger::PlainProvenance(const TextRecordRef& record) {
  RememberedProvenance& r = plain_provenance_[record.source_index];
  if (r.text.empty() || r.fetched_at != record.fetched_at) {
    r.fetched_at = record.fetched_at;
    r.text.clear();
    JsonTextWriter w(r.text);
    w.Raw("{\"fetched_at\":");
    w.String(FetchedAtText(record.fetched_at));
    w.Raw(",\"source\":");
    w.Raw(quoted_source_ids_[record.source_index]);
    w.Char('}');
  }
  return r.text;
}

TextMerger::Outcome TextMerger::Merge(std::string_view key, std::vector<TextRecordRef>& records,
                                      MergedRecordText& out) {
  const config::ViewConfig& view = merger_.view();
  // As ViewMerger::Merge. (A text that is not an object is found below.)
  if (!OrderForMerge(view, records, [](const TextRecordRef&) { return false; })) {
    return Outcome::kNothing;
  }

  // Every (view field, value) pair, grouped by field name (stable: by priority within one).
  named_.clear();
  for (const auto& r : records) {
    MemberReader members(r.fields);
    std::string_view name, value;
    size_t hint = 0;
    for (;;) {
      const MemberScan scan = members.Next(name, value);
      if (scan == MemberScan::kMissing) break;
      // Not an object (the trees drop such a record), or a name with escapes.
      if (scan == MemberScan::kUnsure) return Outcome::kUnsure;
      const SourceName* resolved = Resolve(r.source_index, name, hint);
      if (resolved == nullptr) return Outcome::kUnsure;
      for (const ViewField* field : resolved->fields) named_.push_back(Named{field, &r, value});
    }
  }
  if (ranks_stale_) Rerank();
  StableSortSmall(named_.begin(), named_.end(),
                  [](const Named& a, const Named& b) { return a.field->rank < b.field->rank; });

  out.key.assign(key);
  out.fields.assign(1, '{');
  provenance_fields_.clear();
  per_field_provenance_ = false;
  out.conflicts.assign(1, '[');
  out.sources.assign(1, '[');
  for (size_t i = 0; i < records.size(); ++i) {
    if (i > 0) out.sources.push_back(',');
    out.sources.append(quoted_source_ids_[records[i].source_index]);
  }
  out.sources.push_back(']');

  for (size_t i = 0; i < named_.size();) {
    const ViewField& field = *named_[i].field;
    candidates_.clear();
    for (; i < named_.size() && named_[i].field == &field; ++i) candidates_.push_back(&named_[i]);
    const config::FieldRule& rule = *field.rule;
    const Named* taken = nullptr;
    const std::vector<const Named*>* vouching = nullptr;
    if (!Pick(rule, taken, vouching)) return Outcome::kUnsure;
    if (taken != nullptr) AppendField(field, *taken, vouching, out);
    // Key fields matched after normalisation ("004" and "4") never conflict.
    if (!field.is_key && !AppendConflict(field, rule.compare, out.conflicts)) {
      return Outcome::kUnsure;
    }
  }
  out.fields.push_back('}');
  FinishProvenance(out);
  out.has_conflicts = out.conflicts.size() > 1;
  out.conflicts.push_back(']');
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

void TextMerger::AppendField(const ViewField& field, const Named& taken,
                             const std::vector<const Named*>* vouching, MergedRecordText& out) {
  // Names as AppendName writes them: the quoted name, then a colon.
  auto append_name = [&](std::string& to) {
    to.append(field.quoted);
    to.push_back(':');
  };
  if (out.fields.size() > 1) out.fields.push_back(',');
  append_name(out.fields);
  out.fields.append(taken.value);
  if (vouching == nullptr) {
    NoteProvenance(field, PlainProvenance(*taken.record), out);
    return;
  }
  // Provenance members in name order: fetched_at, from, source. Agreeing sources all vouch for
  // a vote's value: it was fetched when the latest of them was.
  SystemTime fetched_at = taken.record->fetched_at;
  for (const Named* c : *vouching) fetched_at = std::max(fetched_at, c->record->fetched_at);
  vote_provenance_.clear();
  JsonTextWriter w(vote_provenance_);
  w.Raw("{\"fetched_at\":");
  w.String(FetchedAtText(fetched_at));
  w.Raw(",\"from\":[");
  for (size_t k = 0; k < vouching->size(); ++k) {
    if (k > 0) w.Char(',');
    w.Raw(quoted_source_ids_[(*vouching)[k]->record->source_index]);
  }
  w.Raw("],\"source\":");
  w.Raw(quoted_source_ids_[taken.record->source_index]);
  w.Char('}');
  NoteProvenance(field, vote_provenance_, out);
}

void TextMerger::NoteProvenance(const ViewField& field, std::string_view entry,
                                MergedRecordText& out) {
  auto append = [&](const ViewField& f, std::string_view e) {
    if (out.provenance.size() > 1) out.provenance.push_back(',');
    out.provenance.append(f.quoted);
    out.provenance.push_back(':');
    out.provenance.append(e);
  };
  if (!per_field_provenance_) {
    if (provenance_fields_.empty()) {
      shared_provenance_.assign(entry);
      provenance_fields_.push_back(&field);
      return;
    }
    if (TextEqual(entry, shared_provenance_)) {
      provenance_fields_.push_back(&field);
      return;
    }
    // The first field whose entry differs: the per-field form from here on.
    per_field_provenance_ = true;
    out.provenance.assign(1, '{');
    for (const ViewField* f : provenance_fields_) append(*f, shared_provenance_);
  }
  append(field, entry);
}

void TextMerger::FinishProvenance(MergedRecordText& out) {
  if (per_field_provenance_) {
    out.provenance.push_back('}');
  } else if (provenance_fields_.empty()) {
    out.provenance.assign("{}");
  } else {
    out.provenance.assign(1, '[');
    out.provenance.append(shared_provenance_);
    out.provenance.push_back(']');
  }
}

bool TextMerger::AppendConflict(const ViewField& field, const config::CompareOptions& compare,
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
  StableSortSmall(conflicting_.begin(), conflicting_.end(),
                  [&](const Named* a, const Named* b) { return id_of(a) < id_of(b); });
  if (conflicts.size() > 1) conflicts.push_back(',');
  JsonTextWriter w(conflicts);
  w.Raw("{\"field\":");
  w.Raw(field.quoted);
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
