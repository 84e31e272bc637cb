#pragma once
// Output formats of record listings: JSON (an object with "records" and "next_cursor"), NDJSON
// (one record per line) and CSV (RFC 4180; key, the fields, then the sources). Chosen by
// ?format= first, then by the Accept header. Thread safety: pure functions.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tributary::service::api {

enum class RecordFormat { kJson, kNdjson, kCsv };

struct FormatChoice {
  std::optional<RecordFormat> format;
  // When no format: the status to answer (400 for a bad ?format=, 406 for an Accept header
  // naming nothing we produce) and why.
  int status = 0;
  std::string error;
};

FormatChoice ChooseRecordFormat(const std::string* format_param, std::string_view accept);
const char* ContentTypeOf(RecordFormat format);

// `columns`: the field columns of CSV output, in order (key first and sources last are added).
std::string RenderRecords(RecordFormat format, const std::vector<nlohmann::json>& records,
                          const std::optional<std::string>& next_cursor,
                          const std::vector<std::string>& columns);

// One CSV cell: quoted when it holds a comma, quote, CR or LF; lists and objects as JSON text.
std::string CsvCell(const nlohmann::json& value);

}  // namespace tributary::service::api
