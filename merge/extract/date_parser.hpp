#pragma once
// Dates and times as feeds and pages write them, normalised to RFC 3339 in UTC
// ("2024-05-01T00:00:00Z"; milliseconds only when present: "...T12:00:00.250Z").
// Accepted: RFC 3339 / ISO 8601 ("2024-05-01T12:00:00+02:00", "2024-05-01 12:00:00",
// "2024-05-01", "2024/05/01"), RFC 1123/822/850 ("Tue, 10 Jun 2003 04:00:00 GMT",
// "10 Jun 03 04:00 +0200", "Tuesday, 10-Jun-03 04:00:00 GMT"), asctime
// ("Tue Jun 10 04:00:00 2003") and English prose dates ("June 10, 2003", "10 June 2003").
// Times without a zone are taken as UTC. Pure functions.

#include <optional>
#include <string>
#include <string_view>

namespace tributary::merge::extract {

std::optional<std::string> NormalizeDate(std::string_view text);

// `text` read with a strptime(3) format ("%d/%m/%Y %H:%M", "%d %b %Y", "%Y%m%d%z"), the
// whole text (surrounding whitespace aside) matching; English month and day names.
std::optional<std::string> DateWithFormat(std::string_view text, const std::string& format);

// A Unix timestamp in seconds (values of 1e11 and more are taken as milliseconds).
std::optional<std::string> DateFromUnixTime(double value);

}  // namespace tributary::merge::extract
