#pragma once
// Extraction from JSON, and from every format whose records are JSON values (CSV rows, feed
// items, regex matches). Selectors are JSON selectors (json_selector.hpp): JSONPath ("$...")
// or JSON Pointer ("/..."); for row-like records also bare member names ("title").
// The records selector picks the records: a lone array it selects stands for its elements, a
// lone object is the one record (empty: the document itself). Each field's selector runs on
// its record; a multiple field takes every selected value (an array's elements), a single
// field the first. The pagination "next" selector gives the next page's URL; "cursor" a value
// placed into "cursor_url".
// Thread safety: immutable after Compile; Run and AddRows are const and reentrant.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"
#include "config/loader.hpp"
#include "merge/extract/extractor.hpp"
#include "merge/extract/json_selector.hpp"
#include "merge/extract/record_assembler.hpp"

namespace tributary::merge::extract {

class JsonExtractor {
 public:
  // rows: the source's records are row-like (CSV, feed, text): field selectors may be bare
  // member names and "records" is not a JSON selector (Run is not used). Problems are
  // appended to `errors` with paths under path_prefix, and then nullopt is returned.
  static std::optional<JsonExtractor> Compile(const config::SourceConfig& source, bool rows,
                                              const std::string& path_prefix,
                                              std::vector<config::ConfigError>& errors);

  // Parses a JSON document (UTF-8) within the source's bounds and feeds its records; sets
  // `next` to the next page's URL, if any. Errors: invalid JSON, bounds, a records selector
  // that matches nothing or a scalar.
  Status Run(std::string_view utf8, const ExtractInput& input, RecordAssembler& records,
             std::string& next) const;

  // The next page's URL from the pagination "next" / "cursor" selectors run on `document`
  // (resolved against the final URL); `next` is left alone when there is none.
  void FindNext(const nlohmann::json& document, const ExtractInput& input, std::string& next) const;

  // Feeds records that are already JSON values (max_records is checked).
  Status AddRows(const std::vector<const nlohmann::json*>& rows, RecordAssembler& records) const;

 private:
  struct Field {
    JsonSelector selector;
    bool multiple;
  };
  JsonExtractor() = default;

  std::optional<JsonSelector> records_;
  std::vector<Field> fields_;  // parallel to SourceConfig::fields
  std::optional<JsonSelector> next_;
  std::optional<JsonSelector> cursor_;
  std::string cursor_url_;
  config::ExtractLimits limits_;
};

}  // namespace tributary::merge::extract
