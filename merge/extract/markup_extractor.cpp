#include "merge/extract/markup_extractor.hpp"

#include <libxml/xpath.h>

#include <memory>

#include "merge/extract/bounds.hpp"
#include "merge/extract/html_document.hpp"
#include "merge/extract/url_resolver.hpp"
#include "merge/extract/xml_document.hpp"

namespace tributary::merge::extract {
namespace {

struct ContextFree {
  void operator()(xmlXPathContext* context) const { xmlXPathFreeContext(context); }
};

// The parsed document of either kind, owning its tree.
struct Parsed {
  std::optional<HtmlDocument> html;
  std::optional<XmlDocument> xml;
  xmlDoc* doc() const { return html ? html->doc() : xml->doc(); }
  xmlNode* root() const { return html ? html->root() : xml->root(); }
};

}  // namespace

std::optional<MarkupExtractor> MarkupExtractor::Compile(const config::SourceConfig& source,
                                                        Markup markup,
                                                        const std::string& path_prefix,
                                                        std::vector<config::ConfigError>& errors) {
  const size_t errors_before = errors.size();
  MarkupExtractor extractor;
  extractor.markup_ = markup;
  extractor.namespaces_ = source.extraction.namespaces;
  extractor.limits_ = source.extraction.limits;
  NodeQueryOptions options;
  options.xpath_only = markup == Markup::kXml;
  options.namespaces = &extractor.namespaces_;
  auto compile = [&](const std::string& selector,
                     const std::string& path) -> std::optional<NodeQuery> {
    auto query = NodeQuery::Compile(selector, options);
    if (!query) {
      errors.push_back({path, query.error().message});
      return std::nullopt;
    }
    extractor.uses_xpath_ = extractor.uses_xpath_ || query->is_xpath();
    return std::move(*query);
  };
  if (!source.records.empty()) {
    auto query = compile(source.records, path_prefix + ".records");
    if (query && query->has_pseudo_element()) {
      errors.push_back({path_prefix + ".records",
                        "a records selector selects elements; ::text and ::attr() belong in "
                        "field selectors: \"" +
                            source.records + "\""});
    } else if (query) {
      extractor.records_.emplace(std::move(*query));
    }
  }
  for (const auto& field : source.fields) {
    auto query = compile(field.select, path_prefix + ".fields." + field.name + ".select");
    if (!query) continue;
    extractor.fields_.push_back(std::move(*query));
    extractor.field_names_.push_back(field.name);
    extractor.multiple_.push_back(field.multiple);
  }
  if (const auto& next = source.extraction.pagination.next; !next.empty()) {
    if (auto query = compile(next, path_prefix + ".pagination.next")) {
      extractor.next_.emplace(std::move(*query));
    }
  }
  if (errors.size() != errors_before) return std::nullopt;
  return extractor;
}

Status MarkupExtractor::Run(std::string_view utf8, const ExtractInput& input,
                            RecordAssembler& records, std::string& next) const {
  Parsed parsed;
  if (markup_ == Markup::kXml) {
    auto document = XmlDocument::Parse(utf8, {}, &limits_);
    if (!document) return document.error();
    parsed.xml.emplace(std::move(*document));
  } else {
    auto document =
        HtmlDocument::Parse(utf8, "UTF-8", /*ignore_declared_encoding=*/true, &limits_);
    if (!document) return document.error();
    parsed.html.emplace(std::move(*document));
  }
  if (Status bounds = CheckTreeBounds(parsed.doc(), limits_); !bounds) return bounds;
  std::unique_ptr<xmlXPathContext, ContextFree> xpath;
  if (uses_xpath_) {
    xpath.reset(xmlXPathNewContext(parsed.doc()));
    if (xpath == nullptr) return Error::SourceBroken("out of memory creating an XPath context");
    NodeQuery::RegisterNamespaces(xpath.get(), &namespaces_);
  }
  std::vector<xmlNode*> candidates;
  if (records_) {
    auto selected = records_->SelectElements(xpath.get(), reinterpret_cast<xmlNode*>(parsed.doc()));
    if (!selected) return Error::SourceBroken("records: " + selected.error().message);
    candidates = std::move(*selected);
  } else if (xmlNode* root = parsed.root(); root != nullptr) {
    candidates.push_back(root);
  }
  if (candidates.size() > limits_.max_records) {
    return Error::SourceBroken("the document has " + std::to_string(candidates.size()) +
                               " records, more than " + std::to_string(limits_.max_records) +
                               " (bounds.max_records)");
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
  if (next_) {
    auto values = next_->SelectValues(xpath.get(), reinterpret_cast<xmlNode*>(parsed.doc()), 1);
    if (!values) return Error::SourceBroken("pagination.next: " + values.error().message);
    if (!values->empty() && (*values)[0].is_string()) {
      if (auto url = ResolveUrl((*values)[0].get<std::string>(), input.final_url)) next = *url;
    }
  }
  return Status::Ok();
}

}  // namespace tributary::merge::extract
