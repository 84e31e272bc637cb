#pragma once
// The extraction options of a source and the transforms of a field beyond the basic select /
// type / regex (config.hpp): per-format options (XML namespaces, CSV dialect), the character
// set override, pagination, document bounds and extraction health. Parsed by
// extract_definitions.cpp. Thread safety: plain immutable values once loaded.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tributary::config {

// Extra steps of a field's value pipeline (merge/extract/value_pipeline.hpp gives the order).
struct FieldTransforms {
  bool collapse = true;    // inner whitespace runs become one space (with trim)
  bool lowercase = false;  // Unicode-aware case mapping
  bool uppercase = false;
  std::string split;                // non-empty: the text becomes a list of its non-empty parts
  std::optional<std::string> join;  // a list (multiple, split) becomes one string
  // Lookup table applied to the text after regex/split: matching entries are replaced by the
  // table's value (any JSON value), others pass unchanged.
  std::map<std::string, nlohmann::json> map;
  std::vector<std::string> date_formats;  // strptime formats tried before the built-in ones

  friend bool operator==(const FieldTransforms&, const FieldTransforms&) = default;
};

struct CsvOptions {
  char delimiter = ',';
  char quote = '"';
  bool header = true;                // the first row names the columns
  std::vector<std::string> columns;  // names given in the configuration (replace the header's)

  friend bool operator==(const CsvOptions&, const CsvOptions&) = default;
};

struct PaginationConfig {
  std::string next;          // selector of the next page's URL (HTML/XML: CSS or XPath; JSON)
  bool link_header = false;  // follow the HTTP `Link: <...>; rel="next"` header
  std::string cursor;        // selector (JSON Pointer/JSONPath) of the next cursor value
  std::string cursor_url;    // URL template with {cursor}
  int max_pages = 0;         // 0: kDefaultMaxPages

  static constexpr int kDefaultMaxPages = 100;
  bool enabled() const { return !next.empty() || link_header || !cursor.empty(); }
  int page_limit() const { return max_pages > 0 ? max_pages : kDefaultMaxPages; }

  friend bool operator==(const PaginationConfig&, const PaginationConfig&) = default;
};

// Bounds on one document; exceeding one is an error for the source, never a crash.
struct ExtractLimits {
  uint64_t max_depth = 1024;       // element / container nesting
  uint64_t max_nodes = 5'000'000;  // elements, text nodes, JSON values, CSV cells
  uint64_t max_records = 100'000;  // records per document

  friend bool operator==(const ExtractLimits&, const ExtractLimits&) = default;
};

struct HealthConfig {
  // A run whose record count falls by more than this share of the last good run's count is
  // flagged. nullopt (or 1.0): never.
  std::optional<double> max_drop = 0.5;
  bool keep_previous = true;  // a flagged run keeps the previous snapshot

  friend bool operator==(const HealthConfig&, const HealthConfig&) = default;
};

struct SourceExtraction {
  std::map<std::string, std::string> namespaces;  // XPath prefix -> namespace URI
  std::string encoding;                           // overrides every charset hint when set
  CsvOptions csv;
  PaginationConfig pagination;
  ExtractLimits limits;
  HealthConfig health;

  friend bool operator==(const SourceExtraction&, const SourceExtraction&) = default;
};

}  // namespace tributary::config
