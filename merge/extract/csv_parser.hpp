#pragma once
// RFC 4180 CSV, as files in the wild write it: quoted fields with "" escapes and embedded line
// breaks, CRLF / LF / CR line ends, a configurable delimiter and quote, blank lines skipped.
// Lenient where RFC 4180 is strict and no data is lost (a quote inside an unquoted field is a
// character; text after a closing quote joins the field); an unterminated quoted field is an
// error that names the line where it starts. Thread safety: pure function.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "config/extraction.hpp"

namespace tributary::merge::extract {

using CsvRow = std::vector<std::string>;

// `utf8` without a BOM (charset.hpp removes it). Errors: kSourceBroken, also when the file
// holds more than max_cells cells.
Result<std::vector<CsvRow>> ParseCsv(std::string_view utf8, const config::CsvOptions& options,
                                     uint64_t max_cells);

}  // namespace tributary::merge::extract
