// The compared record: what a merge job compares a key's new merge with. The merge of the key's
// records before an update is made one, and a full recompute holds each stored record as one
// while it runs (ViewPipeline::LoadStoredMerged). It is the whole record
// (merge::MergedRecordText) without its key and with its provenance reduced to a hash of what
// the provenance says without its times:
//   {"conflicts":[…],"fields":{…},"provenance":"0123456789abcdef","sources":[…]}
// A fetch that confirms a value changes only its provenance time, which is no change (see
// merge_job.hpp), so the times are what the comparison leaves out; and the hash stands for the
// rest of the provenance, which a comparison needs only to tell equal from different.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "merge/record.hpp"

namespace tributary::merge::combine {

// XXH3-64 of a provenance text (an object of field → {"fetched_at", "from", "source"}, or one
// such entry in a list: the shared form of merge::MergedRecordText::provenance) without each
// entry's "fetched_at" member and an empty "from" list right after it: equal for provenances
// that differ only in times. The text is read as canonical JSON, as RenderText and
// the text merge write it and as the merge job makes any stored record it cannot scan; another
// text of the same provenance (spaces, escapes) may hash differently, which only ever makes a
// merge store a record again. Two provenances that differ in sources are told apart unless
// their hashes collide (2^-64): then the record keeps naming the sources it named before.
// nullopt when the text is neither a JSON object nor the shared form (it is parsed when it is
// not bracketed as one, or a time is not closed; a text bracketed as the shared form is hashed
// as it is, even with more than one entry, which only ever makes a merge store a record again).
std::optional<uint64_t> ProvenanceSourcesHash(std::string_view provenance);

// Appends the compared record of a merged record's parts (texts as MergedRecordText holds them).
void AppendComparedRecordText(std::string& out, std::string_view fields, std::string_view sources,
                              std::string_view conflicts, uint64_t provenance_hash);
void AppendComparedRecordText(std::string& out, const MergedRecordText& record,
                              uint64_t provenance_hash);
// The compared record of a merged record; nullopt when its provenance is neither a JSON object
// nor the shared form.
std::optional<std::string> ComparedRecordText(const MergedRecordText& record);

// The provenance hash of a stored record's "provenance" member: the hash a compared record
// carries, or ProvenanceSourcesHash of a whole record's provenance. nullopt when it is neither.
std::optional<uint64_t> StoredProvenanceHash(std::string_view provenance_member);

}  // namespace tributary::merge::combine
