#include "merge/extract/json_extractor.hpp"

#include <cstdio>

#include "merge/extract/bounds.hpp"
#include "merge/extract/url_resolver.hpp"

namespace tributary::merge::extract {
namespace {

// RFC 3986 unreserved characters stay; everything else is percent-encoded.
std::string PercentEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buffer[4];
      std::snprintf(buffer, sizeof buffer, "%%%02X", c);
      out += buffer;
    }
  }
  return out;
}

std::optional<std::string> ScalarText(const nlohmann::json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.empty()) return std::nullopt;
    return s;
  }
  if (v.is_number()) return v.dump();
  return std::nullopt;
}

}  // namespace

std::optional<JsonExtractor> JsonExtractor::Compile(const config::SourceConfig& source, bool rows,
                                                    const std::string& path_prefix,
                                                    std::vector<config::ConfigError>& errors) {
  const size_t errors_before = errors.size();
  JsonExtractor extractor;
  extractor.limits_ = source.extraction.limits;
  auto compile = [&](const std::string& text, bool names,
                     const std::string& path) -> std::optional<JsonSelector> {
    auto selector = JsonSelector::Compile(text, names);
    if (!selector) {
      errors.push_back({path, selector.error().message});
      return std::nullopt;
    }
    return std::move(*selector);
  };
  if (!rows) extractor.records_ = compile(source.records, false, path_prefix + ".records");
  for (const auto& field : source.fields) {
    auto selector = compile(field.select, rows, path_prefix + ".fields." + field.name + ".select");
    if (selector) extractor.fields_.push_back({std::move(*selector), field.multiple});
  }
  const auto& pages = source.extraction.pagination;
  if (!pages.next.empty())
    extractor.next_ = compile(pages.next, false, path_prefix + ".pagination.next");
  if (!pages.cursor.empty()) {
    extractor.cursor_ = compile(pages.cursor, false, path_prefix + ".pagination.cursor");
    extractor.cursor_url_ = pages.cursor_url;
  }
  if (errors.size() != errors_before) return std::nullopt;
  return extractor;
}

Status JsonExtractor::Run(std::string_view utf8, const ExtractInput& input,
                          RecordAssembler& records, std::string& next) const {
  auto document = ParseJsonBounded(utf8, limits_);
  if (!document) return document.error();
  if (!records_) return Error::SourceBroken("internal: a row extractor cannot parse JSON");
  const auto& text = records_->text();
  std::vector<const nlohmann::json*> rows;
  if (text.empty()) {
    if (document->is_array()) {
      for (const auto& element : *document) rows.push_back(&element);
    } else if (document->is_object()) {
      rows.push_back(&*document);
    }
  } else {
    const auto selected = records_->Select(*document);
    if (selected.empty() && !text.starts_with("$")) {
      return Error::SourceBroken("records: JSON Pointer \"" + text +
                                 "\" matches nothing in the document");
    }
    if (selected.size() == 1 && !text.starts_with("$") && !selected[0]->is_array() &&
        !selected[0]->is_object() && !selected[0]->is_null()) {
      return Error::SourceBroken("records: JSON Pointer \"" + text + "\" names a " +
                                 selected[0]->type_name() + ", not an array or object");
    }
    for (const nlohmann::json* row : records_->SelectFlattened(*document)) {
      if (!row->is_null()) rows.push_back(row);
    }
  }
  if (Status added = AddRows(rows, records); !added) return added;
  FindNext(*document, input, next);
  return Status::Ok();
}

void JsonExtractor::FindNext(const nlohmann::json& document, const ExtractInput& input,
                             std::string& next) const {
  if (next_) {
    for (const nlohmann::json* value : next_->Select(document)) {
      if (!value->is_string()) continue;
      if (auto url = ResolveUrl(value->get<std::string>(), input.final_url)) next = *url;
      break;
    }
  }
  if (cursor_) {
    for (const nlohmann::json* value : cursor_->Select(document)) {
      auto cursor = ScalarText(*value);
      if (!cursor) break;
      std::string url = cursor_url_;
      const size_t at = url.find("{cursor}");
      if (at != std::string::npos) url.replace(at, 8, PercentEncode(*cursor));
      next = url;
      break;
    }
  }
}

Status JsonExtractor::AddRows(const std::vector<const nlohmann::json*>& rows,
                              RecordAssembler& records) const {
  if (rows.size() > limits_.max_records) {
    return Error::SourceBroken("the document has " + std::to_string(rows.size()) +
                               " records, more than " + std::to_string(limits_.max_records) +
                               " (bounds.max_records)");
  }
  std::vector<std::vector<nlohmann::json>> raw(fields_.size());
  for (const nlohmann::json* row : rows) {
    for (size_t i = 0; i < fields_.size(); ++i) {
      raw[i].clear();
      const auto values = fields_[i].multiple ? fields_[i].selector.SelectFlattened(*row)
                                              : fields_[i].selector.Select(*row);
      for (const nlohmann::json* value : values) {
        if (value->is_null()) continue;
        raw[i].push_back(*value);
        if (!fields_[i].multiple) break;
      }
    }
    records.Add(raw);
  }
  return Status::Ok();
}

}  // namespace tributary::merge::extract
