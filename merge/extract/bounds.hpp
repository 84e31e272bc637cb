#pragma once
// The document bounds of a source (config::ExtractLimits): nesting depth and node count of
// parsed trees, so that a hostile document is a clear error for its source instead of a worker
// exhausting its stack or memory. Thread safety: pure functions.

#include <libxml/tree.h>

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/result.hpp"
#include "config/extraction.hpp"

namespace tributary::merge::extract {

// Walks a libxml2 tree iteratively: kSourceBroken when it nests deeper than max_depth elements
// or holds more than max_nodes nodes.
Status CheckTreeBounds(const xmlDoc* doc, const config::ExtractLimits& limits);

// Parses JSON text (UTF-8) in one pass, stopping as soon as the nesting depth or the number of
// values exceeds the limits. Errors carry nlohmann's position ("at line 3, column 7").
Result<nlohmann::json> ParseJsonBounded(std::string_view text, const config::ExtractLimits& limits);

// "document too deep: more than 1024 levels of nesting (bounds.max_depth)" and the like.
Error DepthError(uint64_t max_depth);
Error NodesError(uint64_t max_nodes);

}  // namespace tributary::merge::extract
