#pragma once
// The rules for a view's merge options ("normalize", "join", "strategy", "compare", "fields")
// and for the top-level "history" object. Called by ParseViewWith and ParseConfig, so the
// daemon and worker processes read them alike. Thread safety: pure functions.

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/json_reader.hpp"

namespace tributary::config {

// The keys ParseViewOption understands (for did-you-mean on unknown view keys).
const std::vector<std::string>& ViewOptionKeys();

// Parses `key` of a view object when it is one of ViewOptionKeys(); false otherwise.
bool ParseViewOption(const std::string& key, const nlohmann::json& value, const std::string& path,
                     JsonReader& reader, ViewConfig& view);

// The options that depend on each other ("fields" rules start from the view's "strategy" and
// "compare" defaults): called once after every key of the view object was seen.
void FinishViewOptions(const nlohmann::json& definition, const std::string& path,
                       JsonReader& reader, ViewConfig& view);

// Checks that every field named in the view's "fields" and "normalize" objects exists in at
// least one source (`provided`: the view field names the sources provide). `path` is the view's.
void CheckViewOptionFields(const ViewConfig& view, const std::set<std::string>& provided,
                           const std::string& path, JsonReader& reader);

void ParseHistory(const nlohmann::json& value, const std::string& path, JsonReader& reader,
                  HistoryConfig& history);

}  // namespace tributary::config
