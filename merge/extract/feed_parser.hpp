#pragma once
// Feeds normalised to one item shape: RSS 0.9x / 2.0, RSS 1.0 and 0.90 (RDF), Atom 1.0 and 0.3,
// and JSON Feed 1.0 / 1.1. Each item is a JSON object:
//   {"id", "title", "link", "published", "updated",
//    "authors": [{"name", "email", "uri"}], "summary", "content", "categories": [...],
//    "enclosures": [{"url", "type", "length"}]}
// Missing values are null (lists empty). Dates are RFC 3339 in UTC (date_parser.hpp); links
// are absolute: resolved against xml:base (on the element and its ancestors) and the
// document's URL. Items without a guid / id get a stable one: their link, else a hash of
// title, date and text ("urn:tributary:item:<16 hex>"), so the same item keeps its id.
// Thread safety: pure function.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "config/extraction.hpp"

namespace tributary::merge::extract {

struct ParsedFeed {
  std::string kind;                                // "rss", "rdf", "atom", "json"
  nlohmann::json feed = nlohmann::json::object();  // title, link, updated
  nlohmann::json items = nlohmann::json::array();
  std::string next;  // RFC 5005 rel="next" link (Atom / atom:link in RSS), absolute
};

// `utf8`: the converted document; `url`: its final URL. Errors: not a feed (the root element
// or JSON shape is named), bounds (limits.max_depth / max_nodes / max_records).
Result<ParsedFeed> ParseFeed(std::string_view utf8, const std::string& url,
                             const config::ExtractLimits& limits);

}  // namespace tributary::merge::extract
