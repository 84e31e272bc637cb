#include "merge/record.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <array>
#include <optional>

#include "common/json_parse.hpp"
#include "common/json_text.hpp"

namespace tributary::merge {
namespace {

std::string KeyText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

}  // namespace

nlohmann::json ToJson(const Record& r) { return {{"key", r.key}, {"fields", FieldsTreeOf(r)}}; }

std::string_view FieldsTextOf(const Record& r, std::string& scratch) {
  if (!r.fields_text.empty()) return r.fields_text;
  scratch.clear();
  JsonTextWriter(scratch).Value(r.fields);
  return scratch;
}

uint64_t FieldsTextHash(std::string_view text) {
  const uint64_t h = XXH3_64bits(text.data(), text.size());
  return h != 0 ? h : 1;
}

void SetFieldsText(Record& r, std::string_view text) {
  r.fields_text = text;
  r.fields_text_hash = FieldsTextHash(text);
}

uint64_t FieldsTextHashOf(const Record& r, std::string& scratch) {
  if (r.fields_text_hash != 0) return r.fields_text_hash;
  return FieldsTextHash(FieldsTextOf(r, scratch));
}

nlohmann::json FieldsTreeOf(const Record& r) {
  if (!r.fields.is_discarded()) return r.fields;
  return ParseJsonOr(r.fields_text, nlohmann::json::object());
}

namespace {

// null, "" or [] as written in a JSON text (canonical text has no spaces; others may).
bool EmptyValueText(std::string_view value) {
  if (value == "null" || value == "\"\"") return true;
  if (value.size() < 2 || value.front() != '[' || value.back() != ']') return false;
  return value.find_first_not_of(" \t\r\n", 1) == value.size() - 1;
}

}  // namespace

void ForEachFieldFilled(const Record& r,
                        const std::function<void(std::string_view name, bool filled)>& fn) {
  const auto from_tree = [&fn](const nlohmann::json& fields) {
    if (!fields.is_object()) return;
    for (const auto& [name, value] : fields.items()) {
      const bool empty = value.is_null() ||
                         (value.is_string() && value.get_ref<const std::string&>().empty()) ||
                         (value.is_array() && value.empty());
      fn(name, !empty);
    }
  };
  if (!r.fields.is_discarded()) return from_tree(r.fields);
  // Read to the end before reporting: a text the reader is unsure of is parsed instead.
  std::vector<std::pair<std::string_view, bool>> members;
  MemberReader reader(r.fields_text);
  std::string_view name, value;
  MemberScan scan;
  while ((scan = reader.Next(name, value)) == MemberScan::kFound) {
    members.emplace_back(name, !EmptyValueText(value));
  }
  if (scan == MemberScan::kUnsure) return from_tree(FieldsTreeOf(r));
  for (const auto& [member, filled] : members) fn(member, filled);
}

Record RecordFromJson(const nlohmann::json& j) {
  Record r;
  r.key = j.at("key").get<std::string>();
  r.fields = j.value("fields", nlohmann::json::object());
  return r;
}

nlohmann::json ProvenanceToJson(const std::map<std::string, FieldProvenance>& provenance) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [field, p] : provenance) {
    nlohmann::json entry = {{"source", p.source}, {"fetched_at", FormatRfc3339(p.fetched_at)}};
    if (!p.from.empty()) entry["from"] = p.from;
    out[field] = std::move(entry);
  }
  return out;
}

namespace {

// One provenance entry as ProvenanceToJson writes it; nullopt when it is not an object.
std::optional<FieldProvenance> ProvenanceEntryFromJson(const nlohmann::json& p) {
  if (!p.is_object()) return std::nullopt;
  FieldProvenance fp;
  if (auto it = p.find("source"); it != p.end() && it->is_string()) {
    fp.source = it->get<std::string>();
  }
  if (auto it = p.find("fetched_at"); it != p.end() && it->is_string()) {
    fp.fetched_at = ParseRfc3339(it->get<std::string>()).value_or(SystemTime{});
  }
  if (auto it = p.find("from"); it != p.end() && it->is_array()) {
    for (const auto& s : *it) {
      if (s.is_string()) fp.from.push_back(s.get<std::string>());
    }
  }
  return fp;
}

}  // namespace

std::map<std::string, FieldProvenance> ProvenanceFromJson(const nlohmann::json& j,
                                                          const nlohmann::json& fields) {
  std::map<std::string, FieldProvenance> out;
  if (j.is_array()) {
    // The shared form: every field's entry.
    if (!IsSharedProvenance(j) || !fields.is_object()) return out;
    const auto entry = ProvenanceEntryFromJson(j.front());
    if (!entry) return out;
    for (auto it = fields.begin(); it != fields.end(); ++it) out.emplace(it.key(), *entry);
    return out;
  }
  if (!j.is_object()) return out;
  for (const auto& [field, p] : j.items()) {
    if (auto entry = ProvenanceEntryFromJson(p)) out.emplace(field, std::move(*entry));
  }
  return out;
}

nlohmann::json AddedFieldDiff(const nlohmann::json& after) {
  nlohmann::json diff = nlohmann::json::object();
  if (!after.is_object()) return diff;
  for (const auto& [name, value] : after.items()) {
    if (!value.is_null()) diff[name] = {{"after", value}, {"before", nullptr}};
  }
  return diff;
}

nlohmann::json ToJson(const MergedRecord& r) {
  nlohmann::json provenance = ProvenanceToJson(r.provenance);
  nlohmann::json conflicts = nlohmann::json::array();
  for (const auto& c : r.conflicts) conflicts.push_back(ToJson(c));
  return {{"key", r.key},
          {"fields", r.fields},
          {"sources", r.sources},
          {"provenance", provenance},
          {"conflicts", std::move(conflicts)}};
}

nlohmann::json ToJson(const FieldConflict& c) {
  nlohmann::json values = nlohmann::json::object();
  for (const auto& [source, value] : c.values) values[source] = value;
  return {{"field", c.field}, {"values", std::move(values)}};
}

std::vector<FieldConflict> ConflictsFromJson(const nlohmann::json& j) {
  std::vector<FieldConflict> out;
  if (!j.is_array()) return out;
  for (const auto& item : j) {
    if (!item.is_object()) continue;
    auto field = item.find("field");
    auto values = item.find("values");
    if (field == item.end() || !field->is_string() || values == item.end() ||
        !values->is_object()) {
      continue;
    }
    FieldConflict c;
    c.field = field->get<std::string>();
    for (const auto& [source, value] : values->items()) c.values[source] = value;
    out.push_back(std::move(c));
  }
  return out;
}

MergedRecord MergedRecordFromJson(const nlohmann::json& j) {
  MergedRecord r;
  r.key = j.at("key").get<std::string>();
  r.fields = j.value("fields", nlohmann::json::object());
  r.sources = j.value("sources", std::vector<std::string>{});
  if (auto it = j.find("provenance"); it != j.end()) {
    r.provenance = ProvenanceFromJson(*it, r.fields);
  }
  if (auto it = j.find("conflicts"); it != j.end()) r.conflicts = ConflictsFromJson(*it);
  return r;
}

// Every record of a source carries the source's one fetch time, so a full merge formats the
// same few instants (one per source of the view) millions of times: remember the last few.
const std::string& FetchedAtText(SystemTime t) {
  struct Remembered {
    SystemTime time;
    std::string text;
  };
  constexpr size_t kRemembered = 4;
  thread_local std::array<Remembered, kRemembered> remembered;
  thread_local size_t next = 0;  // the slot to replace
  for (const auto& r : remembered) {
    if (r.time == t && !r.text.empty()) return r.text;
  }
  Remembered& slot = remembered[next];
  next = (next + 1) % kRemembered;
  slot.time = t;
  slot.text = FormatRfc3339(t);
  return slot.text;
}

bool IsSharedProvenance(const nlohmann::json& j) {
  return j.is_array() && j.size() == 1 && j.front().is_object();
}

namespace {

// r's provenance as RenderText writes it (MergedRecordText::provenance).
std::string ProvenanceText(const MergedRecord& r) {
  std::string out;
  // Members in name order, as ProvenanceToJson's object holds them: fetched_at, from, source.
  JsonTextWriter w(out);
  auto entry = [&](const FieldProvenance& p) {
    w.Raw("{\"fetched_at\":");
    w.String(FetchedAtText(p.fetched_at));
    if (!p.from.empty()) {
      w.Raw(",\"from\":[");
      for (size_t i = 0; i < p.from.size(); ++i) {
        if (i > 0) w.Char(',');
        w.String(p.from[i]);
      }
      w.Char(']');
    }
    w.Raw(",\"source\":");
    w.String(p.source);
    w.Char('}');
  };
  // Entries the same as written: times to the millisecond, as the text merge compares them.
  auto same_written = [](const FieldProvenance& a, const FieldProvenance& b) {
    return a.source == b.source && a.from == b.from &&
           ToUnixMillis(a.fetched_at) == ToUnixMillis(b.fetched_at);
  };
  // The shared form when every field has the same entry (and only the fields have one: it is
  // read back as an entry for each of them).
  const auto& provenance = r.provenance;
  bool shared = !provenance.empty() && r.fields.is_object() && r.fields.size() == provenance.size();
  auto field = r.fields.begin();
  for (auto it = provenance.begin(); shared && it != provenance.end(); ++it, ++field) {
    shared = it->first == field.key() && same_written(it->second, provenance.begin()->second);
  }
  if (shared) {
    w.Char('[');
    entry(provenance.begin()->second);
    w.Char(']');
    return out;
  }
  w.Char('{');
  bool first = true;
  for (const auto& [name, p] : provenance) {
    if (!first) w.Char(',');
    first = false;
    w.Name(name);
    entry(p);
  }
  w.Char('}');
  return out;
}

}  // namespace

MergedRecordText RenderText(const MergedRecord& r) {
  MergedRecordText out;
  out.key = r.key;
  out.has_conflicts = !r.conflicts.empty();
  JsonTextWriter(out.fields).Value(r.fields);
  {
    JsonTextWriter w(out.sources);
    w.Char('[');
    for (size_t i = 0; i < r.sources.size(); ++i) {
      if (i > 0) w.Char(',');
      w.String(r.sources[i]);
    }
    w.Char(']');
  }
  out.provenance = ProvenanceText(r);
  {
    JsonTextWriter w(out.conflicts);
    w.Char('[');
    for (size_t i = 0; i < r.conflicts.size(); ++i) {
      if (i > 0) w.Char(',');
      w.Raw("{\"field\":");
      w.String(r.conflicts[i].field);
      w.Raw(",\"values\":{");
      bool first = true;
      for (const auto& [source, value] : r.conflicts[i].values) {
        if (!first) w.Char(',');
        first = false;
        w.Name(source);
        w.Value(value);
      }
      w.Raw("}}");
    }
    w.Char(']');
  }
  return out;
}

std::string MergedRecordText::Whole() const {
  return WholeRecordText(key, fields, sources, provenance, conflicts);
}

std::string WholeRecordText(std::string_view key, std::string_view fields, std::string_view sources,
                            std::string_view provenance, std::string_view conflicts) {
  std::string out;
  out.reserve(conflicts.size() + fields.size() + key.size() + provenance.size() +
              sources.size() + 64);
  AppendWholeRecordText(out, key, fields, sources, provenance, conflicts);
  return out;
}

namespace {

// A whole record's text: its members in name order (conflicts, fields, key, provenance,
// sources), each name with what comes before it, then the closing brace.
constexpr std::string_view kWholeConflicts = "{\"conflicts\":", kWholeFields = ",\"fields\":",
                           kWholeKey = ",\"key\":", kWholeProvenance = ",\"provenance\":",
                           kWholeSources = ",\"sources\":", kWholeEnd = "}";

}  // namespace

void AppendWholeRecordText(std::string& out, std::string_view key, std::string_view fields,
                           std::string_view sources, std::string_view provenance,
                           std::string_view conflicts) {
  JsonTextWriter w(out);
  w.Raw(kWholeConflicts);
  w.Raw(conflicts);
  w.Raw(kWholeFields);
  w.Raw(fields);
  w.Raw(kWholeKey);
  w.String(key);
  w.Raw(kWholeProvenance);
  w.Raw(provenance);
  w.Raw(kWholeSources);
  w.Raw(sources);
  w.Raw(kWholeEnd);
}

bool SplitWholeRecordText(std::string_view whole, std::string_view key, int64_t conflicts,
                          int64_t fields, int64_t provenance, int64_t sources,
                          WholeRecordParts& parts) {
  const auto size = static_cast<int64_t>(whole.size());
  // Each within the text first, so that the sum below cannot overflow.
  for (const int64_t length : {conflicts, fields, provenance, sources}) {
    if (length <= 0 || length > size) return false;
  }
  const auto fixed =
      static_cast<int64_t>(kWholeConflicts.size() + kWholeFields.size() + kWholeKey.size() +
                           kWholeProvenance.size() + kWholeSources.size() + kWholeEnd.size());
  const int64_t quoted_key_length = size - fixed - conflicts - fields - provenance - sources;
  if (quoted_key_length < 2) return false;
  std::string_view rest = whole;
  auto take = [&](std::string_view name, int64_t length, std::string_view& part) {
    const auto n = static_cast<size_t>(length);
    if (rest.substr(0, name.size()) != name || rest.size() < name.size() + n) return false;
    part = rest.substr(name.size(), n);
    rest.remove_prefix(name.size() + n);
    return true;
  };
  std::string_view quoted_key;
  if (!take(kWholeConflicts, conflicts, parts.conflicts) ||
      !take(kWholeFields, fields, parts.fields) ||
      !take(kWholeKey, quoted_key_length, quoted_key) ||
      !take(kWholeProvenance, provenance, parts.provenance) ||
      !take(kWholeSources, sources, parts.sources) || rest != kWholeEnd) {
    return false;
  }
  // The key as JsonTextWriter::String writes it (quoted as it is when plain).
  if (IsPlainJsonString(key)) {
    return quoted_key.size() == key.size() + 2 && quoted_key.front() == '"' &&
           quoted_key.back() == '"' && quoted_key.substr(1, key.size()) == key;
  }
  std::string written;
  JsonTextWriter(written).String(key);
  return quoted_key == written;
}

bool MakeKey(const std::vector<const nlohmann::json*>& values, std::string& key) {
  if (values.empty()) return false;
  for (const auto* v : values) {
    if (v == nullptr || v->is_null()) return false;
    if (v->is_string() && v->get_ref<const std::string&>().empty()) return false;
  }
  if (values.size() == 1) {
    key = KeyText(*values[0]);
    return true;
  }
  nlohmann::json parts = nlohmann::json::array();
  for (const auto* v : values) parts.push_back(KeyText(*v));
  key = parts.dump();
  return true;
}

}  // namespace tributary::merge
