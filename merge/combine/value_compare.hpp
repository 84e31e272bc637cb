#pragma once
// When two sources' values of a field agree, under the field's compare options: numbers within
// an absolute or relative tolerance, strings exactly, case-insensitively or after Unicode
// normalisation, lists as sets, objects field by field.
// Thread safety: pure functions.

#include <nlohmann/json.hpp>
#include <optional>

#include "config/view_options.hpp"

namespace tributary::merge::combine {

// A JSON number, or a string that is a whole decimal number ("12.5", " -3 ", "1e3"). Other
// values (and strings with anything else, like "12 kg") are not numbers.
std::optional<double> AsNumber(const nlohmann::json& v);

// True when `v` carries information: not null, not "", not [] and not {}.
bool HasContent(const nlohmann::json& v);

// Two numbers within the options' absolute or relative tolerance.
bool SameNumber(double a, double b, const config::CompareOptions& options);

bool SameValue(const nlohmann::json& a, const nlohmann::json& b,
               const config::CompareOptions& options);

}  // namespace tributary::merge::combine
