#include "merge/extract/csv_parser.hpp"

#include "merge/extract/bounds.hpp"

namespace tributary::merge::extract {

Result<std::vector<CsvRow>> ParseCsv(std::string_view utf8, const config::CsvOptions& options,
                                     uint64_t max_cells) {
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string field;
  uint64_t cells = 0;
  size_t line = 1;
  bool row_has_content = false;  // distinguishes a blank line from a row of one empty field
  bool field_started = false;    // a quote only opens a quoted section at a field's start
  const char delimiter = options.delimiter;
  const char quote = options.quote;
  auto end_field = [&]() -> bool {
    row.push_back(std::move(field));
    field.clear();
    field_started = false;
    return ++cells <= max_cells;
  };
  auto end_row = [&]() -> bool {
    if (row_has_content || !row.empty()) {
      if (!end_field()) return false;
      rows.push_back(std::move(row));
    }
    row.clear();
    row_has_content = false;
    return true;
  };
  size_t i = 0;
  const size_t n = utf8.size();
  while (i < n) {
    const char c = utf8[i];
    if (c == quote && !field_started) {
      // Quoted field: up to the closing quote ("" is a quote).
      const size_t start_line = line;
      ++i;
      bool closed = false;
      while (i < n) {
        const char q = utf8[i];
        if (q == quote) {
          if (i + 1 < n && utf8[i + 1] == quote) {
            field += quote;
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        if (q == '\n') ++line;
        field += q;
        ++i;
      }
      if (!closed) {
        return Error::SourceBroken("CSV: unterminated quoted field starting at line " +
                                   std::to_string(start_line));
      }
      row_has_content = true;
      field_started = true;
      continue;
    }
    if (c == delimiter) {
      row_has_content = true;
      if (!end_field()) return NodesError(max_cells);
      ++i;
      continue;
    }
    if (c == '\r' || c == '\n') {
      if (!end_row()) return NodesError(max_cells);
      if (c == '\r' && i + 1 < n && utf8[i + 1] == '\n') ++i;
      ++i;
      ++line;
      continue;
    }
    field += c;
    row_has_content = true;
    field_started = true;
    ++i;
  }
  if (!end_row()) return NodesError(max_cells);
  return rows;
}

}  // namespace tributary::merge::extract
