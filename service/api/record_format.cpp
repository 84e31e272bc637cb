#include "service/api/record_format.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace tributary::service::api {
namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string LowerTrim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<RecordFormat> FormatOfMediaType(const std::string& type) {
  if (type == "application/json" || type == "application/*" || type == "*/*") {
    return RecordFormat::kJson;
  }
  if (type == "application/x-ndjson" || type == "application/ndjson" ||
      type == "application/jsonl" || type == "application/x-jsonlines") {
    return RecordFormat::kNdjson;
  }
  if (type == "text/csv" || type == "text/*") return RecordFormat::kCsv;
  return std::nullopt;
}

}  // namespace

FormatChoice ChooseRecordFormat(const std::string* format_param, std::string_view accept) {
  FormatChoice choice;
  if (format_param != nullptr) {
    const std::string f = LowerTrim(*format_param);
    if (f == "json") {
      choice.format = RecordFormat::kJson;
    } else if (f == "ndjson" || f == "jsonl") {
      choice.format = RecordFormat::kNdjson;
    } else if (f == "csv") {
      choice.format = RecordFormat::kCsv;
    } else {
      choice.status = 400;
      choice.error = "format: expected one of json, ndjson, csv; got \"" + *format_param + "\"";
    }
    return choice;
  }
  if (LowerTrim(accept).empty()) {
    choice.format = RecordFormat::kJson;
    return choice;
  }
  // The acceptable type with the highest q; the first listed wins ties.
  double best_q = 0;
  size_t start = 0;
  while (start <= accept.size()) {
    size_t end = accept.find(',', start);
    if (end == std::string_view::npos) end = accept.size();
    const std::string_view item = accept.substr(start, end - start);
    const size_t semi = item.find(';');
    const std::string type = LowerTrim(item.substr(0, semi));
    double q = 1;
    if (semi != std::string_view::npos) {
      std::string params = LowerTrim(item.substr(semi + 1));
      if (size_t at = params.find("q="); at != std::string::npos) {
        q = std::strtod(params.c_str() + at + 2, nullptr);
      }
    }
    if (auto f = FormatOfMediaType(type); f && q > best_q) {
      best_q = q;
      choice.format = f;
    }
    start = end + 1;
  }
  if (!choice.format) {
    choice.status = 406;
    choice.error = "Accept: none of \"" + std::string(accept) +
                   "\" can be produced; records are available as application/json, "
                   "application/x-ndjson and text/csv (or pass ?format=json|ndjson|csv)";
  }
  return choice;
}

const char* ContentTypeOf(RecordFormat format) {
  switch (format) {
    case RecordFormat::kJson:
      return "application/json";
    case RecordFormat::kNdjson:
      return "application/x-ndjson";
    case RecordFormat::kCsv:
      return "text/csv; charset=utf-8";
  }
  return "application/json";
}

std::string CsvCell(const json& value) {
  std::string text;
  if (value.is_null()) return "";
  if (value.is_string()) {
    text = value.get<std::string>();
  } else if (value.is_array() &&
             std::all_of(value.begin(), value.end(), [](const json& e) { return e.is_string(); })) {
    for (const auto& e : value) text += (text.empty() ? "" : ";") + e.get<std::string>();
  } else {
    text = Dump(value);
  }
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string RenderRecords(RecordFormat format, const std::vector<json>& records,
                          const std::optional<std::string>& next_cursor,
                          const std::vector<std::string>& columns) {
  std::string out;
  switch (format) {
    case RecordFormat::kJson: {
      out = "{\"records\":[";
      for (size_t i = 0; i < records.size(); ++i) {
        if (i > 0) out += ',';
        out += Dump(records[i]);
      }
      out += "],\"next_cursor\":";
      out += next_cursor ? Dump(json(*next_cursor)) : "null";
      out += "}\n";
      break;
    }
    case RecordFormat::kNdjson:
      for (const auto& r : records) {
        out += Dump(r);
        out += '\n';
      }
      break;
    case RecordFormat::kCsv: {
      out = "key";
      for (const auto& c : columns) out += "," + CsvCell(json(c));
      out += ",sources\r\n";
      static const json kNull;
      for (const auto& r : records) {
        out += CsvCell(r.value("key", json()));
        const json& fields = r.contains("fields") ? r["fields"] : kNull;
        for (const auto& c : columns) {
          out += ',';
          if (fields.is_object() && fields.contains(c)) out += CsvCell(fields[c]);
        }
        out += ',';
        if (r.contains("sources")) out += CsvCell(r["sources"]);
        out += "\r\n";
      }
      break;
    }
  }
  return out;
}

}  // namespace tributary::service::api
