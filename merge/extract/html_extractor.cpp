#include "merge/extract/html_extractor.hpp"

#include <libxml/xpath.h>

#include <memory>

#include "merge/extract/content_type.hpp"
#include "merge/extract/html_document.hpp"

namespace tributary::merge::extract {
namespace {

struct ContextFree {
  void operator()(xmlXPathContext* context) const { xmlXPathFreeContext(context); }
};

}  // namespace

std::optional<HtmlExtractor> HtmlExtractor::Compile(const config::SourceConfig& source,
                                                    const std::string& path_prefix,
                                                    std::vector<config::ConfigError>& errors) {
  const size_t errors_before = errors.size();
  HtmlExtractor extractor;
  if (!source.records.empty()) {
    auto query = NodeQuery::Compile(source.records);
    if (!query) {
      errors.push_back({path_prefix + ".records", query.error().message});
    } else if (query->has_pseudo_element()) {
      errors.push_back({path_prefix + ".records",
                        "a records selector selects elements; ::text and ::attr() belong in "
                        "field selectors: \"" +
                            source.records + "\""});
    } else {
      extractor.uses_xpath_ = query->is_xpath();
      extractor.records_.emplace(std::move(*query));
    }
  }
  for (const auto& field : source.fields) {
    auto query = NodeQuery::Compile(field.select);
    if (!query) {
      errors.push_back({path_prefix + ".fields." + field.name + ".select", query.error().message});
      continue;
    }
    extractor.uses_xpath_ = extractor.uses_xpath_ || query->is_xpath();
    extractor.fields_.push_back(std::move(*query));
    extractor.field_names_.push_back(field.name);
    extractor.multiple_.push_back(field.multiple);
  }
  if (errors.size() != errors_before) return std::nullopt;
  return extractor;
}

Status HtmlExtractor::Run(const ExtractInput& input, RecordAssembler& records) const {
  auto document = HtmlDocument::Parse(input.body, Charset(input.content_type));
  if (!document) return document.error();
  std::unique_ptr<xmlXPathContext, ContextFree> xpath;
  if (uses_xpath_) {
    xpath.reset(xmlXPathNewContext(document->doc()));
    if (xpath == nullptr) return Error::SourceBroken("out of memory creating an XPath context");
  }
  std::vector<xmlNode*> candidates;
  if (records_) {
    auto selected =
        records_->SelectElements(xpath.get(), reinterpret_cast<xmlNode*>(document->doc()));
    if (!selected) return Error::SourceBroken("records: " + selected.error().message);
    candidates = std::move(*selected);
  } else if (xmlNode* root = document->root(); root != nullptr) {
    candidates.push_back(root);
  }
  std::vector<std::vector<nlohmann::json>> raw(fields_.size());
  for (xmlNode* candidate : candidates) {
    for (size_t i = 0; i < fields_.size(); ++i) {
      auto values = fields_[i].SelectValues(xpath.get(), candidate, multiple_[i] ? SIZE_MAX : 1);
      if (!values) {
        return Error::SourceBroken("fields." + field_names_[i] + ": " + values.error().message);
      }
      raw[i] = std::move(*values);
    }
    records.Add(raw);
  }
  return Status::Ok();
}

}  // namespace tributary::merge::extract
