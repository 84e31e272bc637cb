#pragma once
// Extraction: turns one fetched document into records, as a source's configuration describes.
// Formats: html, xml, feed, json, csv, text (markup_extractor.hpp, json_extractor.hpp,
// feed_parser.hpp, row_records.hpp); the body is converted to UTF-8 first (charset.hpp).
// Feed, CSV and text sources without "fields" get one field per item member / column / named
// group.
// Runs inside worker processes (never on the daemon's I/O threads). Pure: no I/O, no Asio, no
// curl. Thread safety: functions are reentrant; no shared mutable state.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"
#include "config/loader.hpp"
#include "merge/record.hpp"

namespace tributary::merge::extract {

struct ExtractInput {
  std::string_view body;
  std::string content_type;  // from the HTTP response; may be empty
  std::string final_url;     // after redirects; base for relative URLs
};

struct ExtractStats {
  size_t candidates = 0;                  // records the record selector matched
  size_t dropped_missing_required = 0;    // dropped because a required field was missing
  size_t dropped_missing_key = 0;         // dropped because a key field was missing or empty
  size_t duplicate_keys = 0;              // later records with a key already seen (first kept)
  std::map<std::string, size_t> filled;   // field name -> records where it has a value
  std::map<std::string, size_t> invalid;  // field name -> values that failed type conversion
};

struct ExtractOutput {
  config::Format format = config::Format::kAuto;  // the format actually used
  std::vector<Record> records;
  ExtractStats stats;
  std::string charset;   // the encoding the document was read as
  std::string next_url;  // the next page (pagination "next" / "cursor"); "" when none
};

// Checks every selector and option of the source (syntax of CSS/XPath/JSON Pointer/regex).
// Errors carry full paths: `path_prefix` + ".fields.price.select", e.g.
// "sources[0].fields.price.select: ...".
std::vector<config::ConfigError> ValidateSource(const config::SourceConfig& source,
                                                const std::string& path_prefix);

// Extracts the records. Errors are kSourceBroken (unparseable document, wrong format ...).
Result<ExtractOutput> Extract(const config::SourceConfig& source, const ExtractInput& input);

// The format to use when the source says "auto": from the Content-Type, then the content.
config::Format DetectFormat(std::string_view content_type, std::string_view body);

}  // namespace tributary::merge::extract
