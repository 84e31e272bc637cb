#pragma once
// The fetch engine's view of a source: politeness group, retries, robots.txt, limits,
// credentials, proxy and TLS, from the source's settings over the "fetch" defaults.
// Thread safety: pure functions.

#include "config/config.hpp"
#include "fetchers/fetcher.hpp"

namespace tributary::service {

// Fills the policy fields of `request` (MakeFetchRequest has set URL, method and the basics).
void ApplyFetchPolicy(const config::Config& config, const config::SourceConfig& source,
                      fetchers::FetchRequest& request);

// Logs a warning for every source that turns TLS verification off (an explicit choice that an
// operator should see at every start and reload).
void WarnAboutInsecureSources(const config::Config& config);

// Whether robots.txt applies to the source: "obey"/"ignore", else obey for html sources and
// for sources without a declared format (auto), ignore for json, csv, feed, xml and text.
bool ObeysRobots(const config::SourceConfig& source);

}  // namespace tributary::service
