#pragma once
// Records of the row-like formats as JSON objects, so JsonExtractor can select from them:
//   CSV: one object per data row, column name -> cell text. Column names come from the
//        source's "columns", else the header row; unnamed columns are "column_<n>" (1-based),
//        repeated names get "_2", "_3". A row equal to the header (files appended together)
//        is skipped.
//   text: with a records regex (RE2), one object per match: named groups -> text (groups that
//        did not take part are left out) and "match" -> the whole match; without one, one
//        object per non-blank line: {"line": text}.
// `columns` / `names` list the member names in order (the fields a source without "fields"
// gets). Thread safety: pure functions.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "config/extraction.hpp"
#include "merge/extract/csv_parser.hpp"

namespace tributary::merge::extract {

struct Rows {
  std::vector<nlohmann::json> rows;
  std::vector<std::string> columns;
};

Rows CsvRows(std::vector<CsvRow> table, const config::CsvOptions& options);

// Errors: an invalid regex; more than max_records matches.
Result<Rows> TextRows(std::string_view utf8, const std::string& records_regex,
                      const config::ExtractLimits& limits);

}  // namespace tributary::merge::extract
