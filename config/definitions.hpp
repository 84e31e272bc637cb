#pragma once
// The rules for one source and one view definition, shared by the daemon's loader (ParseConfig)
// and by worker processes (ParseSource / ParseView in loader.hpp), so both sides agree.
// Cross-references between definitions (a view's sources, their fields) are checked by
// ParseConfig, which sees the whole file. Thread safety: pure functions.

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/json_reader.hpp"

namespace tributary::config {

// A source definition may carry "field_order" (the fields' names in configuration order)
// because nlohmann::json objects are sorted by key: ParseConfig adds it to
// SourceConfig::definition so a worker sees the fields in the order the file lists them.
inline constexpr const char* kFieldOrderKey = "field_order";

std::optional<SourceConfig> ParseSourceWith(const nlohmann::json& definition,
                                            const std::string& path, JsonReader& reader);
std::optional<ViewConfig> ParseViewWith(const nlohmann::json& definition, const std::string& path,
                                        JsonReader& reader);

// An id of a source or view: 1 to 64 of [A-Za-z0-9_.-].
bool IsValidId(const std::string& id);
std::optional<std::string> IdValue(const nlohmann::json& v, const std::string& path,
                                   JsonReader& reader);

// Why `url` is not a fetchable http, https or file URL; nullopt when it is.
std::optional<std::string> UrlProblem(const std::string& url);

}  // namespace tributary::config
