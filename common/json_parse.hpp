#pragma once
// JSON text to an nlohmann tree, more than twice as fast as nlohmann::json::parse, for the
// daemon's hot paths: every worker reply (the extracted records of every fetched page, 8 KiB
// and more) and the stored records that merges and reads parse, on threads that share the
// machine's cores with the workers.
// nlohmann's lexer reads one character at a time through an input adapter and grows strings
// one push_back at a time; this parser scans runs of plain characters and appends them whole.
//
// The result is exactly nlohmann::json::parse's (tests/common/json_parse_test.cpp compares
// the two over the corpus's JSON files and thousands of generated and damaged texts):
// - the same value types: integers without '-' are unsigned, with '-' signed, and either falls
//   back to a float when out of range; a float that overflows is an error;
// - a repeated object name keeps the last value; a leading UTF-8 byte order mark is skipped;
// - strings must be valid UTF-8 (RFC 3629) without raw control characters; \u escapes must pair
//   their surrogates;
// - the same texts are refused: anything after the value but whitespace, comments, NaN, ...;
//   and the same are accepted: a NUL byte after the value ends the text, as in nlohmann;
// Nesting is not limited and costs no stack (an explicit stack of open containers).
// Thread safety: none needed (no shared state).

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace tributary {

// Parses `text` into `out`. On failure returns false, leaves `out` unspecified and, when
// `error` is given, says where and why ("byte 12: unterminated string").
bool ParseJson(std::string_view text, nlohmann::json& out, std::string* error = nullptr);

// Whether `text` is JSON that ParseJson takes, without building the tree (a worker's records
// are kept as their text and parsed only when they changed); `error` as for ParseJson.
bool ValidateJson(std::string_view text, std::string* error = nullptr);

// In place of nlohmann::json::parse(text, nullptr, false): the value, or a discarded value
// (is_discarded()) when `text` is not JSON.
nlohmann::json ParseJsonOrDiscarded(std::string_view text);
// The value of `text`, or `fallback` when it is not JSON (stored columns read leniently).
nlohmann::json ParseJsonOr(std::string_view text, nlohmann::json fallback);

}  // namespace tributary
