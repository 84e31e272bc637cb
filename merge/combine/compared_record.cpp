#include "merge/combine/compared_record.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <charconv>

#include "common/json_parse.hpp"
#include "common/json_text.hpp"

namespace tributary::merge::combine {
namespace {

constexpr size_t kHashDigits = 16;
// A compared record's text around its parts (members in name order, as canonical JSON).
constexpr std::string_view kConflicts = "{\"conflicts\":", kFields = ",\"fields\":",
                           kProvenance = ",\"provenance\":\"", kSources = "\",\"sources\":";

uint64_t HashOf(std::string_view text) { return XXH3_64bits(text.data(), text.size()); }

// The provenance without its times, from its canonical text: each entry's "fetched_at" member
// comes first ("fetched_at" < "from" < "source") and is cut out with its comma, as is an empty
// "from" list after it. The text `{"fetched_at":"` can only be the start of such an entry: in a
// name or a value its quotes would be escaped. False when a time is not closed.
bool WriteWithoutTimes(std::string_view provenance, std::string& out) {
  static constexpr std::string_view kTime = "{\"fetched_at\":\"", kNoneFrom = "\"from\":[]";
  out.clear();
  size_t at = 0;
  for (size_t hit; (hit = provenance.find(kTime, at)) != std::string_view::npos;) {
    out.append(provenance.substr(at, hit + 1 - at));  // up to the entry's brace
    const size_t close = provenance.find('"', hit + kTime.size());
    if (close == std::string_view::npos) return false;
    at = close + 1;
    if (at < provenance.size() && provenance[at] == ',') ++at;
    if (provenance.substr(at, kNoneFrom.size()) == kNoneFrom) {
      at += kNoneFrom.size();
      if (at < provenance.size() && provenance[at] == ',') ++at;
    }
  }
  out.append(provenance.substr(at));
  return true;
}

// The same from the parsed provenance, written canonically: for a text the scan cannot take
// (not an object's braces or a list's brackets, a time not closed).
std::optional<std::string> WithoutTimesParsed(std::string_view provenance) {
  nlohmann::json tree = ParseJsonOrDiscarded(provenance);
  if (!tree.is_object() && !IsSharedProvenance(tree)) return std::nullopt;
  for (auto& entry : tree) {
    if (!entry.is_object()) continue;
    entry.erase("fetched_at");
    if (auto from = entry.find("from"); from != entry.end() && *from == nlohmann::json::array()) {
      entry.erase(from);
    }
  }
  return CanonicalJson(tree);
}

}  // namespace

std::optional<uint64_t> ProvenanceSourcesHash(std::string_view provenance) {
  // Thread-local: a worker hashes every merged record's provenance.
  thread_local std::string scratch;
  // An object of entries by field, or the shared form: one entry in a list.
  auto bracketed = [&](std::string_view open, std::string_view close) {
    return provenance.size() >= open.size() + close.size() && provenance.starts_with(open) &&
           provenance.ends_with(close);
  };
  if ((bracketed("{", "}") || bracketed("[{", "}]")) && WriteWithoutTimes(provenance, scratch)) {
    return HashOf(scratch);
  }
  const auto parsed = WithoutTimesParsed(provenance);
  if (!parsed) return std::nullopt;
  return HashOf(*parsed);
}

void AppendComparedRecordText(std::string& out, std::string_view fields, std::string_view sources,
                              std::string_view conflicts, uint64_t provenance_hash) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.append(kConflicts);
  out.append(conflicts);
  out.append(kFields);
  out.append(fields);
  out.append(kProvenance);
  for (size_t i = 0; i < kHashDigits; ++i) {
    out.push_back(kHex[(provenance_hash >> (4 * (kHashDigits - 1 - i))) & 0xf]);
  }
  out.append(kSources);
  out.append(sources);
  out.push_back('}');
}

void AppendComparedRecordText(std::string& out, const MergedRecordText& record,
                              uint64_t provenance_hash) {
  AppendComparedRecordText(out, record.fields, record.sources, record.conflicts, provenance_hash);
}

std::optional<std::string> ComparedRecordText(const MergedRecordText& record) {
  const auto hash = ProvenanceSourcesHash(record.provenance);
  if (!hash) return std::nullopt;
  std::string out;
  AppendComparedRecordText(out, record, *hash);
  return out;
}

std::optional<uint64_t> StoredProvenanceHash(std::string_view provenance_member) {
  const std::string_view m = provenance_member;
  if (m.size() == kHashDigits + 2 && m.front() == '"' && m.back() == '"') {
    uint64_t hash = 0;
    const char* digits = m.data() + 1;
    const auto [end, ec] = std::from_chars(digits, digits + kHashDigits, hash, 16);
    if (ec != std::errc() || end != digits + kHashDigits) return std::nullopt;
    return hash;
  }
  return ProvenanceSourcesHash(m);
}

}  // namespace tributary::merge::combine
