#include "merge/combine/merge_job.hpp"

#include "common/json_parse.hpp"
#include "common/json_text.hpp"
#include "common/packed_text.hpp"
#include "merge/combine/compared_record.hpp"
#include "merge/combine/record_diff.hpp"
#include "merge/combine/text_merge.hpp"
#include "merge/combine/view_merger.hpp"

namespace tributary::merge::combine {
namespace {

// {name: {"after": …, "before": …}} for each field that differs (DiffFields).
std::string FieldDiffText(const nlohmann::json& before, const nlohmann::json& after) {
  std::string out;
  JsonTextWriter w(out);
  w.Char('{');
  bool first = true;
  auto member = [&](const std::string& name, const nlohmann::json& a, const nlohmann::json& b) {
    if (!first) w.Char(',');
    first = false;
    w.Name(name);
    w.Raw("{\"after\":");
    w.Value(a);
    w.Raw(",\"before\":");
    w.Value(b);
    w.Char('}');
  };
  for (const auto& f : DiffFields(before, after)) member(f.field, f.after, f.before);
  w.Char('}');
  return out;
}

const std::string kNullText = "null";

// The results of a job as they are written, and how many.
struct ResultWriter {
  PackedWriter out;
  size_t count = 0;
  std::string whole;     // scratch: a record's whole text (its capacity kept from key to key)
  std::string compared;  // scratch: a record's compared record
};

// An added record's field diff as a result carries it: none (see the header).
constexpr std::string_view kAddedDiff = "";

// `record`'s whole text, in the writer's scratch (valid until the next call).
std::string_view WholeOf(ResultWriter& results, const MergedRecordText& record) {
  results.whole.clear();
  AppendWholeRecordText(results.whole, record.key, record.fields, record.sources, record.provenance,
                        record.conflicts);
  return results.whole;
}

// `record`: what the key merges to now (null when removed).
void WriteResult(ResultWriter& results, std::string_view op, std::string_view key,
                 const MergedRecordText* record, std::string_view before, std::string_view diff) {
  ++results.count;
  PackedWriter& out = results.out;
  out.Text(op);
  out.Text(key);
  out.Text(record != nullptr ? WholeOf(results, *record) : std::string_view());
  out.Int(record != nullptr ? static_cast<int64_t>(record->conflicts.size()) : 0);
  out.Int(record != nullptr ? static_cast<int64_t>(record->fields.size()) : 0);
  out.Int(record != nullptr ? static_cast<int64_t>(record->provenance.size()) : 0);
  out.Int(record != nullptr ? static_cast<int64_t>(record->sources.size()) : 0);
  out.Int(record != nullptr && record->has_conflicts ? 1 : 0);
  out.Text(before);
  out.Text(diff);
}

// The parts of a stored merged record, read from its text without a tree. The text is what the
// daemon keeps (a compared record, or a whole record; canonical JSON), so each part's text is
// what dumping that part writes. nullopt when the text is not plainly such a record.
struct StoredParts {
  std::string_view fields, sources, conflicts, provenance;
};
std::optional<StoredParts> ScanStored(std::string_view whole) {
  StoredParts p;
  if (FindMember(whole, "fields", p.fields) != MemberScan::kFound ||
      FindMember(whole, "sources", p.sources) != MemberScan::kFound ||
      FindMember(whole, "conflicts", p.conflicts) != MemberScan::kFound ||
      FindMember(whole, "provenance", p.provenance) != MemberScan::kFound) {
    return std::nullopt;
  }
  return p;
}

// A stored text ScanStored cannot read is parsed and written again canonically, with the
// defaults of missing parts, into `canonical`; nullopt when it is not a JSON object.
std::optional<StoredParts> StoredPartsOf(std::string_view whole, std::string& canonical) {
  if (auto parts = ScanStored(whole)) return parts;
  const nlohmann::json before = ParseJsonOrDiscarded(whole);
  if (!before.is_object()) return std::nullopt;
  canonical = CanonicalJson({{"conflicts", before.value("conflicts", nlohmann::json::array())},
                             {"fields", before.value("fields", nlohmann::json::object())},
                             {"provenance", before.value("provenance", nlohmann::json())},
                             {"sources", before.value("sources", nlohmann::json::array())}});
  return ScanStored(canonical);
}

// A key with a stored record (`before`, whose provenance hash is `stored_hash`: nullopt when
// unreadable), compared with what it merges to now (`text`, null when nothing is left;
// `provenance_hash`: its provenance's) by the texts: the field diff is written from
// the two fields texts (DiffFieldsTextExact), and only where the texts cannot tell (two numbers
// or two lists written apart) are they parsed. The merged texts are canonical JSON (RenderText,
// or the text merge that writes the same bytes), so a part read back is the tree it was written
// from. False when a part that had to be parsed is not JSON.
bool CompareWithStored(std::string_view key, const StoredParts& before,
                       std::optional<uint64_t> stored_hash, const MergedRecordText* text,
                       uint64_t provenance_hash, ResultWriter& out) {
  nlohmann::json before_fields, merged_fields;  // parsed when needed
  bool parsed = false;
  auto parse_fields = [&] {
    if (!parsed) {
      before_fields = ParseJsonOrDiscarded(before.fields);
      if (text != nullptr) merged_fields = ParseJsonOrDiscarded(text->fields);
    }
    parsed = true;
    return !before_fields.is_discarded() && !merged_fields.is_discarded();
  };
  std::string diff;  // the field diff, once known
  if (text == nullptr) {
    if (!DiffFieldsTextExact(before.fields, "null", diff)) {
      if (!parse_fields()) return false;
      diff = FieldDiffText(before_fields, nlohmann::json());
    }
    WriteResult(out, "removed", key, nullptr, before.fields, diff);
    return true;
  }
  bool same_fields = before.fields == text->fields;
  bool diff_known = same_fields;
  if (same_fields) {
    diff = "{}";
  } else if (DiffFieldsTextExact(before.fields, text->fields, diff)) {
    // The texts differ where the trees do too (a diff of "{}": a field null on one side and
    // missing on the other, which the trees tell apart as objects).
    diff_known = true;
  } else {
    if (!parse_fields()) return false;
    same_fields = before_fields == merged_fields;  // equal values written apart (1 and 1.0)
  }
  if (same_fields && before.sources == text->sources && before.conflicts == text->conflicts) {
    // Provenance times alone are no change (see the header). A stored provenance that cannot
    // be read counts as different: the record is stored again, readable.
    if (stored_hash && *stored_hash == provenance_hash) return true;
    WriteResult(out, "provenance", key, text, before.fields, "{}");
    return true;
  }
  if (!diff_known) {
    if (!parse_fields()) return false;
    diff = FieldDiffText(before_fields, merged_fields);
  }
  WriteResult(out, "changed", key, text, before.fields, diff);
  return true;
}

// A key with a stored record (`before_text`) and what it merges to now (null when nothing is
// left): its result, unless unchanged. False when the stored record is not a JSON object, or
// the merged provenance neither an object nor the shared form (it never is, as RenderText and
// the text merge write it).
bool CompareWithStoredText(std::string_view key, std::string_view before_text,
                           const MergedRecordText* text, ResultWriter& out) {
  uint64_t provenance_hash = 0;
  if (text != nullptr) {
    const auto hash = ProvenanceSourcesHash(text->provenance);
    if (!hash) return false;
    provenance_hash = *hash;
    // The same compared record: nothing to tell (the common case when a fetch confirms what a
    // full recompute merges again).
    out.compared.clear();
    AppendComparedRecordText(out.compared, *text, provenance_hash);
    if (before_text == out.compared) return true;
  }
  std::string canonical;
  const auto parts = StoredPartsOf(before_text, canonical);
  if (!parts) return false;
  return CompareWithStored(key, *parts, StoredProvenanceHash(parts->provenance), text,
                           provenance_hash, out);
}

// The trees of records the text merge could not decide, as ViewMerger::Merge takes them:
// `fields` holds the parsed texts (a record that does not parse is left out).
std::vector<SourceRecordRef> TreeRefs(const std::vector<TextRecordRef>& texts,
                                      std::vector<nlohmann::json>& fields) {
  fields.clear();
  for (const auto& r : texts) fields.push_back(ParseJsonOrDiscarded(r.fields));
  // Pointers into `fields` only once it stops growing.
  std::vector<SourceRecordRef> refs;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].is_discarded()) continue;
    refs.push_back(SourceRecordRef{texts[i].source_index, texts[i].fetched_at, &fields[i]});
  }
  return refs;
}

// Reads `count` records of an item into `texts`; false when malformed.
bool ReadRecords(PackedReader& in, int64_t count, std::vector<TextRecordRef>& texts) {
  texts.clear();
  for (int64_t i = 0; i < count; ++i) {
    int64_t source = 0, at = 0;
    std::string_view record;
    if (!in.Int(source) || !in.Int(at) || !in.Text(record) || source < 0) return false;
    texts.push_back(TextRecordRef{static_cast<size_t>(source), FromUnixMillis(at), record});
  }
  return true;
}

// Scratch space for merging one key's records, its capacity kept from key to key.
struct MergeScratch {
  MergedRecordText text;                     // a merge on texts
  std::optional<MergedRecordText> rendered;  // a merge on trees, rendered
  std::vector<nlohmann::json> fields;        // the trees it read
};

// What `records` merge to for `key` (nullptr: nothing), in `scratch`: first on the texts; only
// a key the text merge cannot decide (kUnsure) goes to the trees. The text merge has put the
// records in priority order and kept each source's first one, as the tree merge does; unlike
// it, before knowing whether that record parses (a record that does not is then dropped with
// its source, where a later one of the same source used to be taken). The daemon sends one
// record per source and key, all valid canonical JSON.
const MergedRecordText* MergeRecords(const ViewMerger& merger, TextMerger& text_merger,
                                     std::string_view key, std::vector<TextRecordRef>& records,
                                     MergeScratch& scratch) {
  switch (text_merger.Merge(key, records, scratch.text)) {
    case TextMerger::Outcome::kMerged:
      return &scratch.text;
    case TextMerger::Outcome::kNothing:
      return nullptr;
    case TextMerger::Outcome::kUnsure:
      break;
  }
  const auto record = merger.Merge(std::string(key), TreeRefs(records, scratch.fields));
  if (!record) return nullptr;
  scratch.rendered = RenderText(*record);
  return &*scratch.rendered;
}

void AppendRecords(PackedWriter& out, const MergeItemRecords& records) {
  out.Int(static_cast<int64_t>(records.size()));
  for (const auto& r : records) {
    out.Int(static_cast<int64_t>(r.source_index));
    out.Int(r.fetched_ms);
    out.Text(r.fields);
  }
}

}  // namespace

void AppendMergeRecords(std::string& out, const MergeItemRecords& records) {
  PackedWriter writer(out);
  AppendRecords(writer, records);
}

void AppendMergeItem(std::string& body, const MergeItem& item) {
  PackedWriter out(body);
  out.Text(item.key);
  out.Text(item.before != nullptr ? std::string_view(*item.before) : std::string_view());
  AppendRecords(out, item.records);
  if (item.old_records) {
    out.Raw(*item.old_records);
  } else {
    out.Int(-1);
  }
}

Result<MergeJobReply> RunMergeJob(const config::ViewConfig& view, std::string_view body) {
  const ViewMerger merger(view);
  MergeJobReply reply;
  // Results are about twice the size of the items (the record's whole text, and the diff of a
  // changed one); three times leaves room for a body of many changed keys. When results were
  // three to five times the items, reserving three times and growing once measured faster than
  // reserving it all (merge_bench 1M: merge phase 1.60 s against 1.81-1.85 s), most likely
  // as malloc then serves the replies from memory it keeps rather than mapping each afresh.
  reply.body.reserve(body.size() * 3);
  ResultWriter out{PackedWriter(reply.body), 0, std::string(), std::string()};
  PackedReader in(body);
  TextMerger text_merger(merger);
  // The records before an update carry the updated source's previous fetch time: merged by a
  // merger of their own, neither rebuilds the provenance entry it remembers for each key.
  TextMerger then_merger(merger);
  std::vector<TextRecordRef> texts;
  MergeScratch now;                      // what the key merges to
  std::vector<TextRecordRef> old_texts;  // the records before the update, when given
  MergeScratch then;                     // what they merge to
  while (!in.done()) {
    std::string_view key, before;
    int64_t count = 0, old_count = 0;
    if (!in.Text(key) || !in.Text(before) || !in.Int(count) || count < 0) {
      return Error::Permanent("merge job: malformed item");
    }
    if (!ReadRecords(in, count, texts) || !in.Int(old_count) || old_count < -1 ||
        (old_count >= 0 && (!before.empty() || !ReadRecords(in, old_count, old_texts)))) {
      return Error::Permanent("merge job: malformed records of key " + std::string(key));
    }
    const MergedRecordText* is = MergeRecords(merger, text_merger, key, texts, now);
    if (old_count >= 0) {
      // The records before the update stand for the stored record: what they merge to is
      // compared with what the key merges to now, part by part.
      const MergedRecordText* was = MergeRecords(merger, then_merger, key, old_texts, then);
      if (was == nullptr) {
        if (is != nullptr) WriteResult(out, "added", key, is, kNullText, kAddedDiff);
        continue;
      }
      const auto was_hash = ProvenanceSourcesHash(was->provenance);
      const auto is_hash = is != nullptr ? ProvenanceSourcesHash(is->provenance) : uint64_t{0};
      const StoredParts parts{was->fields, was->sources, was->conflicts, was->provenance};
      if (!was_hash || !is_hash || !CompareWithStored(key, parts, was_hash, is, *is_hash, out)) {
        return Error::Permanent("merge job: the merged provenance of key " + std::string(key) +
                                " is not a JSON object");
      }
      continue;
    }
    if (before.empty()) {
      if (is != nullptr) WriteResult(out, "added", key, is, kNullText, kAddedDiff);
      continue;
    }
    if (!CompareWithStoredText(key, before, is, out)) {
      return Error::Permanent("merge job: the stored or merged record of key " + std::string(key) +
                              " is not a JSON object");
    }
  }
  out.out.Flush();
  reply.results = out.count;
  return reply;
}

MergedRecordText MergeResult::Record() const {
  return MergedRecordText{std::string(key),        std::string(fields),    std::string(sources),
                          std::string(provenance), std::string(conflicts), has_conflicts};
}

Result<std::vector<MergeResult>> ParseMergeResults(std::string_view reply_body) {
  std::vector<MergeResult> out;
  if (auto parsed = ParseMergeResults(reply_body, out); !parsed) return parsed.error();
  return out;
}

Status ParseMergeResults(std::string_view reply_body, std::vector<MergeResult>& out) {
  out.clear();
  PackedReader in(reply_body);
  while (!in.done()) {
    MergeResult m;
    int64_t conflicts = 0, fields = 0, provenance = 0, sources = 0, has_conflicts = 0;
    if (!in.Text(m.op) || !in.Text(m.key) || !in.Text(m.whole) || !in.Int(conflicts) ||
        !in.Int(fields) || !in.Int(provenance) || !in.Int(sources) || !in.Int(has_conflicts) ||
        !in.Text(m.before) || !in.Text(m.diff)) {
      return Error::Permanent("merge job: malformed result");
    }
    if (m.key.empty() ||
        (m.op != "added" && m.op != "removed" && m.op != "changed" && m.op != "provenance")) {
      return Error::Permanent("merge job: malformed result");
    }
    m.has_record = m.op != "removed";
    m.has_conflicts = has_conflicts != 0;
    if (m.has_record && m.whole.empty()) {
      return Error::Permanent("merge job: result for " + std::string(m.key) + " has no record");
    }
    WholeRecordParts parts;
    if (m.has_record
            ? !SplitWholeRecordText(m.whole, m.key, conflicts, fields, provenance, sources, parts)
            : !m.whole.empty() || conflicts != 0 || fields != 0 || provenance != 0 ||
                  sources != 0) {
      return Error::Permanent("merge job: the record of result " + std::string(m.key) +
                              " is malformed");
    }
    m.conflicts = parts.conflicts;
    m.fields = parts.fields;
    m.provenance = parts.provenance;
    m.sources = parts.sources;
    out.push_back(m);
  }
  return Status();
}

}  // namespace tributary::merge::combine
