#include "config/config.hpp"

namespace tributary::config {

const char* FormatName(Format f) {
  switch (f) {
    case Format::kAuto:
      return "auto";
    case Format::kHtml:
      return "html";
    case Format::kXml:
      return "xml";
    case Format::kFeed:
      return "feed";
    case Format::kJson:
      return "json";
    case Format::kCsv:
      return "csv";
    case Format::kText:
      return "text";
  }
  return "auto";
}

const char* ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kString:
      return "string";
    case ValueType::kNumber:
      return "number";
    case ValueType::kInteger:
      return "integer";
    case ValueType::kBoolean:
      return "boolean";
    case ValueType::kDate:
      return "date";
    case ValueType::kUrl:
      return "url";
  }
  return "string";
}

const SourceConfig* Config::FindSource(const std::string& id) const {
  for (const auto& s : sources) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

const ViewConfig* Config::FindView(const std::string& id) const {
  for (const auto& v : views) {
    if (v.id == id) return &v;
  }
  return nullptr;
}

}  // namespace tributary::config
