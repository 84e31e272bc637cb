#include "merge/combine/compared_record.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "common/json_parse.hpp"
#include "common/json_text.hpp"

namespace tributary::merge::combine {
namespace {

constexpr size_t kHashDigits = 16;

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

// The same from the parsed provenance: any JSON object (spaces, names with escapes, entries
// that are not objects), written canonically.
std::optional<std::string> WithoutTimesParsed(std::string_view provenance) {
  nlohmann::json tree = ParseJsonOrDiscarded(provenance);
  if (!tree.is_object()) return std::nullopt;
  for (auto& [field, entry] : tree.items()) {
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
  if (provenance.size() >= 2 && provenance.front() == '{' && provenance.back() == '}' &&
      WriteWithoutTimes(provenance, scratch)) {
    return HashOf(scratch);
  }
  const auto parsed = WithoutTimesParsed(provenance);
  if (!parsed) return std::nullopt;
  return HashOf(*parsed);
}

void AppendComparedRecordText(std::string& out, std::string_view fields, std::string_view sources,
                              std::string_view conflicts, uint64_t provenance_hash) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.append("{\"conflicts\":");
  out.append(conflicts);
  out.append(",\"fields\":");
  out.append(fields);
  out.append(",\"provenance\":\"");
  for (size_t i = 0; i < kHashDigits; ++i) {
    out.push_back(kHex[(provenance_hash >> (4 * (kHashDigits - 1 - i))) & 0xf]);
  }
  out.append("\",\"sources\":");
  out.append(sources);
  out.push_back('}');
}

std::string ComparedRecordText(const MergedRecordText& record) {
  std::string out;
  out.reserve(record.conflicts.size() + record.fields.size() + record.sources.size() + 64);
  AppendComparedRecordText(out, record.fields, record.sources, record.conflicts,
                           ProvenanceSourcesHash(record.provenance).value_or(0));
  return out;
}

std::optional<uint64_t> StoredProvenanceHash(std::string_view member) {
  if (member.size() == kHashDigits + 2 && member.front() == '"' && member.back() == '"') {
    uint64_t hash = 0;
    for (const char c : member.substr(1, kHashDigits)) {
      uint64_t digit = 0;
      if (c >= '0' && c <= '9') {
        digit = static_cast<uint64_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<uint64_t>(c - 'a' + 10);
      } else {
        return std::nullopt;
      }
      hash = (hash << 4) | digit;
    }
    return hash;
  }
  return ProvenanceSourcesHash(member);
}

}  // namespace tributary::merge::combine
