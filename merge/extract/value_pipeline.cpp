#include "merge/extract/value_pipeline.hpp"

#include <cmath>
#include <vector>

#include "merge/extract/date_parser.hpp"
#include "merge/extract/number_parser.hpp"
#include "merge/extract/text_util.hpp"
#include "merge/extract/url_resolver.hpp"

namespace tributary::merge::extract {
namespace {

using config::ValueType;

std::optional<bool> ParseBoolean(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (lower == "true" || lower == "yes" || lower == "1" || lower == "on") return true;
  if (lower == "false" || lower == "no" || lower == "0" || lower == "off") return false;
  return std::nullopt;
}

std::string ScalarText(const nlohmann::json& raw) {
  if (raw.is_string()) return raw.get<std::string>();
  if (raw.is_boolean()) return raw.get<bool>() ? "true" : "false";
  return raw.dump();
}

}  // namespace

Result<ValuePipeline> ValuePipeline::Compile(const config::FieldSpec& field) {
  std::shared_ptr<const re2::RE2> regex;
  if (!field.regex.empty()) {
    re2::RE2::Options options;
    options.set_log_errors(false);
    auto compiled = std::make_shared<const re2::RE2>(field.regex, options);
    if (!compiled->ok()) {
      return Error::SourceBroken("invalid regex \"" + field.regex + "\": " + compiled->error());
    }
    regex = std::move(compiled);
  }
  return ValuePipeline(field.type, field.trim, field.transforms, std::move(regex));
}

ValuePipeline::Converted ValuePipeline::Apply(const nlohmann::json& raw,
                                              std::string_view base_url) const {
  if (raw.is_null()) return {};
  if (raw.is_array() || raw.is_object()) return {Outcome::kValue, raw};
  if (raw.is_string() || regex_ || !transforms_.split.empty()) {
    return FromText(ScalarText(raw), base_url);
  }
  if (!transforms_.map.empty()) {
    if (auto hit = transforms_.map.find(ScalarText(raw)); hit != transforms_.map.end()) {
      if (!hit->second.is_string()) return {Outcome::kValue, hit->second};
      return Convert(hit->second.get<std::string>(), base_url);
    }
  }
  return FromScalar(raw);
}

std::string ValuePipeline::Whitespace(std::string_view text) const {
  if (trim_ && transforms_.collapse) return CollapseWhitespace(text);
  if (trim_) return TrimWhitespace(text);
  return std::string(text);
}

ValuePipeline::Converted ValuePipeline::FromText(std::string text,
                                                 std::string_view base_url) const {
  text = Whitespace(text);
  if (regex_) {
    const int groups = regex_->NumberOfCapturingGroups();
    std::vector<re2::StringPiece> match(groups > 0 ? 2 : 1);
    if (!regex_->Match(text, 0, text.size(), re2::RE2::UNANCHORED, match.data(),
                       static_cast<int>(match.size()))) {
      return {};
    }
    const re2::StringPiece kept = match.back();
    if (kept.data() == nullptr) return {};  // the group did not take part in the match
    text = Whitespace(std::string_view(kept.data(), kept.size()));
  }
  if (transforms_.split.empty()) return Convert(std::move(text), base_url);
  nlohmann::json parts = nlohmann::json::array();
  bool invalid = false;
  const std::string& separator = transforms_.split;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find(separator, start);
    if (end == std::string::npos) end = text.size();
    auto part = Convert(Whitespace(std::string_view(text).substr(start, end - start)), base_url);
    if (part.outcome == Outcome::kValue) parts.push_back(std::move(part.value));
    invalid = invalid || part.outcome == Outcome::kInvalid;
    start = end + separator.size();
  }
  if (parts.empty()) return invalid ? Converted{Outcome::kInvalid, nullptr} : Converted{};
  if (transforms_.join) {
    std::string joined;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i > 0) joined += *transforms_.join;
      joined += ScalarText(parts[i]);
    }
    return {Outcome::kValue, std::move(joined)};
  }
  return {Outcome::kValue, std::move(parts)};
}

// Steps 4-6 on one piece of text.
ValuePipeline::Converted ValuePipeline::Convert(std::string text, std::string_view base_url) const {
  if (text.empty()) return {};
  if (!transforms_.map.empty()) {
    if (auto hit = transforms_.map.find(text); hit != transforms_.map.end()) {
      if (!hit->second.is_string()) return {Outcome::kValue, hit->second};
      text = hit->second.get<std::string>();
      if (text.empty()) return {};
    }
  }
  if (transforms_.lowercase) text = ToLower(text);
  if (transforms_.uppercase) text = ToUpper(text);
  std::optional<nlohmann::json> value;
  switch (type_) {
    case ValueType::kString:
      value = std::move(text);
      break;
    case ValueType::kNumber:
      value = ParseNumber(text);
      break;
    case ValueType::kInteger:
      if (auto integer = ParseInteger(text)) value = *integer;
      break;
    case ValueType::kBoolean:
      if (auto b = ParseBoolean(CollapseWhitespace(text))) value = *b;
      break;
    case ValueType::kDate:
      for (const auto& format : transforms_.date_formats) {
        if (auto date = DateWithFormat(text, format)) {
          value = std::move(*date);
          break;
        }
      }
      if (!value) {
        if (auto date = NormalizeDate(text)) value = std::move(*date);
      }
      break;
    case ValueType::kUrl:
      if (auto url = ResolveUrl(text, base_url)) value = std::move(*url);
      break;
  }
  if (!value) return {Outcome::kInvalid, nullptr};
  return {Outcome::kValue, std::move(*value)};
}

ValuePipeline::Converted ValuePipeline::FromScalar(const nlohmann::json& raw) const {
  const bool number = raw.is_number();
  const double d = number ? raw.get<double>() : 0.0;
  switch (type_) {
    case ValueType::kString:
      return {Outcome::kValue, ScalarText(raw)};
    case ValueType::kNumber:
      if (number) return {Outcome::kValue, raw};
      break;
    case ValueType::kInteger:
      if (raw.is_number_integer()) return {Outcome::kValue, raw};
      if (number && std::trunc(d) == d && std::fabs(d) < 9.2e18) {
        return {Outcome::kValue, static_cast<int64_t>(d)};
      }
      break;
    case ValueType::kBoolean:
      if (raw.is_boolean()) return {Outcome::kValue, raw};
      if (number && (d == 0 || d == 1)) return {Outcome::kValue, d == 1};
      break;
    case ValueType::kDate:
      if (number) {
        if (auto date = DateFromUnixTime(d)) return {Outcome::kValue, std::move(*date)};
      }
      break;
    case ValueType::kUrl:
      break;
  }
  return {Outcome::kInvalid, nullptr};
}

}  // namespace tributary::merge::extract
