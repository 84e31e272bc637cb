#pragma once
// The extraction keys of a source ("namespaces", "encoding", "csv", "pagination", "bounds",
// "health") and of a field (collapse, lowercase, uppercase, split, join, map, date_format),
// parsed into config/extraction.hpp. Hooked into ParseSourceWith / ParseField
// (definitions.cpp), so daemon and workers agree. Thread safety: pure functions.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/json_reader.hpp"

namespace tributary::config {

// For did-you-mean suggestions: the keys parsed here.
const std::vector<std::string>& ExtractionSourceKeys();
const std::vector<std::string>& TransformFieldKeys();

// Parses `key` of a source when it is an extraction key; false when it is not one.
bool ParseExtractionKey(const std::string& key, const nlohmann::json& value,
                        const std::string& path, JsonReader& reader, SourceConfig& source);
// Parses `key` of a field object when it is a transform key; false when it is not one.
bool ParseTransformKey(const std::string& key, const nlohmann::json& value, const std::string& path,
                       JsonReader& reader, FieldSpec& field);

// Formats whose records carry their own field names (feed items, CSV columns, named regex
// groups): their sources may omit "fields" (and feeds "key", which is then the item id).
bool FieldsOptional(Format format);
// The field names a source's records have: its fields, or for sources without "fields" the
// feed item members / the configured CSV columns; nullopt when only the document can tell
// (CSV with a header row, text with named groups): views then accept any name.
std::optional<std::vector<std::string>> SourceFieldNames(const SourceConfig& source);

// Fills the defaults that depend on several keys and checks their combinations (a cursor
// needs a cursor_url, split and join with multiple, ...). `fields`: the definition's "fields"
// member, nullptr when absent.
void FinishExtraction(const std::string& path, const nlohmann::json* fields, bool key_given,
                      JsonReader& reader, SourceConfig& source);

}  // namespace tributary::config
