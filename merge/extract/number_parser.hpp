#pragma once
// Numbers as pages write them: "£51.77", "$1,234.56", "1.234,56 €", "12,5", "1 234,56",
// "1'234.56", "-3", "−3", "45%". A single "." is a decimal point; a single "," is a thousands
// separator when exactly three digits follow ("1,234") and a decimal comma otherwise ("12,5");
// with both, the last one is the decimal separator. Digit groups after a thousands separator
// must have three digits. Pure functions.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace tributary::merge::extract {

// Lenient: everything around the one number in the text is ignored (currency symbols and
// codes, words, "%"); text with no number or with several ("4.5 out of 5") gives nullopt.
// Integral values come back as JSON integers, others as doubles.
std::optional<nlohmann::json> ParseNumber(std::string_view text);

// Plain: a number with only whitespace, a sign, currency symbols or "%" around it, whose value
// is integral ("1,234", "12.0", "-7"). Text with words around the digits gives nullopt.
std::optional<int64_t> ParseInteger(std::string_view text);

}  // namespace tributary::merge::extract
