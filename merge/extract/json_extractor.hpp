#pragma once
// Extraction from JSON: the records pointer (RFC 6901) names an array, whose elements are the
// records, or an object, which is the one record (empty: the document itself). Each field's
// pointer is relative to its record; for a multiple field an array value gives one match per
// element, otherwise the value is the one match (arrays and objects kept as they are).
// Thread safety: immutable after Compile; Run is const and reentrant.

#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"
#include "config/loader.hpp"
#include "merge/extract/extractor.hpp"
#include "merge/extract/json_pointer.hpp"
#include "merge/extract/record_assembler.hpp"

namespace tributary::merge::extract {

class JsonExtractor {
 public:
  // Compiles the pointers; problems are appended to `errors` with paths under path_prefix
  // (".records", ".fields.<name>.select"), and then nullopt is returned.
  static std::optional<JsonExtractor> Compile(const config::SourceConfig& source,
                                              const std::string& path_prefix,
                                              std::vector<config::ConfigError>& errors);

  // Parses input.body and feeds every candidate record to `records`. Errors: invalid JSON,
  // a records pointer that matches nothing or names a scalar.
  Status Run(const ExtractInput& input, RecordAssembler& records) const;

 private:
  struct Field {
    JsonPointer pointer;
    bool multiple;
  };
  explicit JsonExtractor(JsonPointer records) : records_(std::move(records)) {}

  JsonPointer records_;
  std::vector<Field> fields_;  // parallel to SourceConfig::fields
};

}  // namespace tributary::merge::extract
