#pragma once
// Extraction from HTML and XML. HTML selectors are CSS (or XPath with "xpath:"); XML selectors
// are XPath with the namespace prefixes the source declares ("namespaces"). The records
// selector picks record elements in the whole document (none configured: the document element
// is the one record); each field's selector runs relative to its record element (node_query.hpp
// says what values it gives). The pagination "next" selector runs on the whole document.
// Thread safety: immutable after Compile; Run is const and reentrant.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"
#include "config/loader.hpp"
#include "merge/extract/charset.hpp"
#include "merge/extract/extractor.hpp"
#include "merge/extract/node_query.hpp"
#include "merge/extract/record_assembler.hpp"

namespace tributary::merge::extract {

class MarkupExtractor {
 public:
  // Compiles the source's selectors for `markup` (kHtml or kXml); problems are appended to
  // `errors` with paths under path_prefix (".records", ".fields.<name>.select",
  // ".pagination.next"), and then nullopt is returned.
  static std::optional<MarkupExtractor> Compile(const config::SourceConfig& source, Markup markup,
                                                const std::string& path_prefix,
                                                std::vector<config::ConfigError>& errors);

  // Parses `utf8` (the converted body), checks the bounds, and feeds every candidate record to
  // `records`; sets `next` to the next page's URL, if any.
  Status Run(std::string_view utf8, const ExtractInput& input, RecordAssembler& records,
             std::string& next) const;

 private:
  MarkupExtractor() = default;

  Markup markup_ = Markup::kHtml;
  std::map<std::string, std::string> namespaces_;
  config::ExtractLimits limits_;
  std::optional<NodeQuery> records_;  // nullopt: the document element
  std::vector<NodeQuery> fields_;     // parallel to SourceConfig::fields
  std::vector<std::string> field_names_;
  std::vector<bool> multiple_;
  std::optional<NodeQuery> next_;
  bool uses_xpath_ = false;
};

}  // namespace tributary::merge::extract
