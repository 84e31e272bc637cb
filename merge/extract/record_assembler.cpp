#include "merge/extract/record_assembler.hpp"

#include <utility>

namespace tributary::merge::extract {
namespace {

// The texts of a list's values joined by `separator` (`join`).
std::string Joined(const nlohmann::json& list, const std::string& separator) {
  std::string out;
  bool first = true;
  for (const auto& v : list) {
    if (v.is_null()) continue;
    if (!first) out += separator;
    first = false;
    out += v.is_string() ? v.get<std::string>() : v.dump();
  }
  return out;
}

}  // namespace

RecordAssembler::RecordAssembler(const config::SourceConfig& source,
                                 const std::vector<ValuePipeline>& pipelines,
                                 std::string_view base_url)
    : source_(source), pipelines_(pipelines), base_url_(base_url) {
  for (const auto& name : source.key) {
    int index = -1;
    for (size_t i = 0; i < source.fields.size(); ++i) {
      if (source.fields[i].name == name) {
        index = static_cast<int>(i);
        break;
      }
    }
    key_fields_.push_back(index);
  }
}

void RecordAssembler::Add(const std::vector<std::vector<nlohmann::json>>& raw) {
  ++out_.stats.candidates;
  Record record;
  std::vector<bool> from_document(source_.fields.size(), false);
  for (size_t i = 0; i < source_.fields.size(); ++i) {
    const config::FieldSpec& field = source_.fields[i];
    const ValuePipeline& pipeline = pipelines_[i];
    std::optional<nlohmann::json> value;
    const size_t matches = i < raw.size() ? raw[i].size() : 0;
    if (field.multiple) {
      nlohmann::json list = nlohmann::json::array();
      for (size_t m = 0; m < matches; ++m) {
        auto converted = pipeline.Apply(raw[i][m], base_url_);
        if (converted.outcome == ValuePipeline::Outcome::kValue) {
          if (converted.value.is_array() && !field.transforms.split.empty()) {
            for (auto& part : converted.value) list.push_back(std::move(part));
          } else {
            list.push_back(std::move(converted.value));
          }
        } else if (converted.outcome == ValuePipeline::Outcome::kInvalid) {
          ++out_.stats.invalid[field.name];
        }
      }
      if (!list.empty()) value = std::move(list);
    } else if (matches > 0) {
      auto converted = pipeline.Apply(raw[i][0], base_url_);
      if (converted.outcome == ValuePipeline::Outcome::kValue) {
        value = std::move(converted.value);
      } else if (converted.outcome == ValuePipeline::Outcome::kInvalid) {
        ++out_.stats.invalid[field.name];
      }
    }
    if (value && field.transforms.join && value->is_array())
      value = Joined(*value, *field.transforms.join);
    if (value) {
      from_document[i] = true;
      record.fields[field.name] = std::move(*value);
    } else if (field.default_value) {
      record.fields[field.name] = *field.default_value;
    } else if (field.required) {
      ++out_.stats.dropped_missing_required;
      return;
    }
  }
  if (key_fields_.empty()) {
    record.key = std::to_string(out_.records.size() + 1);
  } else {
    std::vector<const nlohmann::json*> key_values;
    for (int index : key_fields_) {
      const nlohmann::json* v = nullptr;
      if (index >= 0) {
        const auto it = record.fields.find(source_.fields[static_cast<size_t>(index)].name);
        if (it != record.fields.end()) v = &*it;
      }
      key_values.push_back(v);
    }
    if (!MakeKey(key_values, record.key)) {
      ++out_.stats.dropped_missing_key;
      return;
    }
    if (!seen_keys_.insert(record.key).second) {
      ++out_.stats.duplicate_keys;
      return;
    }
  }
  for (size_t i = 0; i < source_.fields.size(); ++i) {
    if (from_document[i]) ++out_.stats.filled[source_.fields[i].name];
  }
  out_.records.push_back(std::move(record));
}

ExtractOutput RecordAssembler::Finish(config::Format format) && {
  out_.format = format;
  return std::move(out_);
}

}  // namespace tributary::merge::extract
