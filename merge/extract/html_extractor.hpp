#pragma once
// Extraction from HTML: the records selector (CSS or "xpath:") picks record elements in the
// whole document (none configured: the document element is the one record); each field's
// selector runs relative to its record element (see node_query.hpp for what values it gives).
// Thread safety: immutable after Compile; Run is const and reentrant.

#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"
#include "config/loader.hpp"
#include "merge/extract/extractor.hpp"
#include "merge/extract/node_query.hpp"
#include "merge/extract/record_assembler.hpp"

namespace tributary::merge::extract {

class HtmlExtractor {
 public:
  // Compiles the source's selectors; problems are appended to `errors` with paths under
  // path_prefix (".records", ".fields.<name>.select"), and then nullopt is returned.
  static std::optional<HtmlExtractor> Compile(const config::SourceConfig& source,
                                              const std::string& path_prefix,
                                              std::vector<config::ConfigError>& errors);

  // Parses input.body and feeds every candidate record to `records`.
  Status Run(const ExtractInput& input, RecordAssembler& records) const;

 private:
  HtmlExtractor() = default;

  std::optional<NodeQuery> records_;  // nullopt: the document element
  std::vector<NodeQuery> fields_;     // parallel to SourceConfig::fields
  std::vector<std::string> field_names_;
  std::vector<bool> multiple_;
  bool uses_xpath_ = false;
};

}  // namespace tributary::merge::extract
