#include "merge/extract/json_extractor.hpp"

namespace tributary::merge::extract {
namespace {

// Finds why a document failed to parse: nlohmann's message with its byte position.
class ErrorSax : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::string message;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    message = ex.what();
    return false;
  }
};

std::string ParseErrorMessage(std::string_view body) {
  ErrorSax sax;
  nlohmann::json::sax_parse(body.begin(), body.end(), &sax, nlohmann::json::input_format_t::json,
                            /*strict=*/true, /*ignore_comments=*/false);
  return sax.message.empty() ? "invalid JSON" : "invalid JSON: " + sax.message;
}

}  // namespace

std::optional<JsonExtractor> JsonExtractor::Compile(const config::SourceConfig& source,
                                                    const std::string& path_prefix,
                                                    std::vector<config::ConfigError>& errors) {
  const size_t errors_before = errors.size();
  auto records = JsonPointer::Parse(source.records);
  if (!records) errors.push_back({path_prefix + ".records", records.error().message});
  std::vector<Field> fields;
  for (const auto& field : source.fields) {
    auto pointer = JsonPointer::Parse(field.select);
    if (!pointer) {
      errors.push_back(
          {path_prefix + ".fields." + field.name + ".select", pointer.error().message});
      continue;
    }
    fields.push_back({std::move(*pointer), field.multiple});
  }
  if (errors.size() != errors_before) return std::nullopt;
  JsonExtractor extractor(std::move(*records));
  extractor.fields_ = std::move(fields);
  return extractor;
}

Status JsonExtractor::Run(const ExtractInput& input, RecordAssembler& records) const {
  const nlohmann::json document =
      nlohmann::json::parse(input.body, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return Error::SourceBroken(ParseErrorMessage(input.body));
  const nlohmann::json* list = records_.Resolve(document);
  if (list == nullptr) {
    return Error::SourceBroken("records: JSON Pointer \"" + records_.text() +
                               "\" matches nothing in the document");
  }
  if (!list->is_array() && !list->is_object() && !list->is_null()) {
    return Error::SourceBroken("records: JSON Pointer \"" + records_.text() + "\" names a " +
                               list->type_name() + ", not an array or object");
  }
  std::vector<std::vector<nlohmann::json>> raw(fields_.size());
  auto add = [&](const nlohmann::json& record) {
    for (size_t i = 0; i < fields_.size(); ++i) {
      raw[i].clear();
      const nlohmann::json* value = fields_[i].pointer.Resolve(record);
      if (value == nullptr || value->is_null()) continue;
      if (fields_[i].multiple && value->is_array()) {
        for (const auto& element : *value) raw[i].push_back(element);
      } else {
        raw[i].push_back(*value);
      }
    }
    records.Add(raw);
  };
  if (list->is_array()) {
    for (const auto& record : *list) add(record);
  } else if (list->is_object()) {
    add(*list);
  }
  return Status::Ok();
}

}  // namespace tributary::merge::extract
