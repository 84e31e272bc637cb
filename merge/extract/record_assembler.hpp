#pragma once
// Turns the raw matches of each candidate record into a Record, the same way for every format:
// runs each field's ValuePipeline, applies `multiple`, the default and `required`, builds the
// key with merge::MakeKey, drops records without a key and keeps the first of duplicate keys,
// and keeps the statistics.
//
// A single-valued field uses its first match only (a failed conversion is not retried on the
// next match). A multiple field is the array of its converted matches; with none it has no
// value. A field without a value is left out of Record::fields, unless its default applies.
// ExtractStats::filled counts kept records whose field came from the document (not from a
// default); ExtractStats::invalid counts values that failed conversion. Without a configured
// key, each kept record's key is its 1-based position among the kept records.
// Thread safety: one assembler per extraction, used by one thread.

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "config/config.hpp"
#include "merge/extract/extractor.hpp"
#include "merge/extract/value_pipeline.hpp"

namespace tributary::merge::extract {

class RecordAssembler {
 public:
  // pipelines[i] belongs to source.fields[i]; both must outlive the assembler.
  RecordAssembler(const config::SourceConfig& source, const std::vector<ValuePipeline>& pipelines,
                  std::string_view base_url);

  // raw[i]: what source.fields[i] matched in this candidate, in document order (at least the
  // first match; every match for multiple fields).
  void Add(const std::vector<std::vector<nlohmann::json>>& raw);

  ExtractOutput Finish(config::Format format) &&;

 private:
  const config::SourceConfig& source_;
  const std::vector<ValuePipeline>& pipelines_;
  std::string base_url_;
  std::vector<int> key_fields_;  // index into source.fields, -1 for unknown names
  std::unordered_set<std::string> seen_keys_;
  ExtractOutput out_;
};

}  // namespace tributary::merge::extract
