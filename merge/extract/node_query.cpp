#include "merge/extract/node_query.hpp"

#include <libxml/xpathInternals.h>

#include <cmath>

#include "merge/extract/dom.hpp"
#include "merge/extract/text_util.hpp"
#include "merge/extract/xml_error_capture.hpp"

namespace tributary::merge::extract {
namespace {

std::string LowerFirst(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

// with_position: compile errors point into the expression; evaluation errors do not.
std::string XPathError(const XmlErrorCapture& errors, std::string_view selector,
                       const char* fallback, bool with_position) {
  std::string message = errors.message().empty() ? fallback : LowerFirst(errors.message());
  if (with_position && errors.offset() >= 0) {
    const size_t prefix =
        selector.starts_with(NodeQuery::kXPathPrefix) ? NodeQuery::kXPathPrefix.size() : 0;
    const size_t position = prefix + static_cast<size_t>(errors.offset());
    message += " at position " + std::to_string(position + 1);
  }
  return "XPath: " + message + " in \"" + std::string(selector) + "\"";
}

nlohmann::json NodeValue(const xmlNode* node) {
  if (dom::IsElement(node)) return CollapseWhitespace(dom::TextContent(node));
  return dom::StringValue(node);
}

nlohmann::json NumberValue(double d) {
  if (std::trunc(d) == d && std::fabs(d) < 9.0e15) return static_cast<int64_t>(d);
  return d;
}

struct DocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
struct ContextFree {
  void operator()(xmlXPathContext* context) const { xmlXPathFreeContext(context); }
};

}  // namespace

void NodeQuery::RegisterNamespaces(xmlXPathContext* context,
                                   const std::map<std::string, std::string>* namespaces) {
  if (context == nullptr || namespaces == nullptr) return;
  for (const auto& [prefix, uri] : *namespaces) {
    xmlXPathRegisterNs(context, reinterpret_cast<const xmlChar*>(prefix.c_str()),
                       reinterpret_cast<const xmlChar*>(uri.c_str()));
  }
}

Result<NodeQuery> NodeQuery::Compile(std::string_view selector, const NodeQueryOptions& options) {
  NodeQuery query;
  query.text_ = std::string(selector);
  const bool prefixed = selector.starts_with(kXPathPrefix);
  if (prefixed || (options.xpath_only && !selector.empty())) {
    const std::string expression(prefixed ? selector.substr(kXPathPrefix.size()) : selector);
    if (expression.find_first_not_of(" \t\r\n") == std::string::npos) {
      return Error::SourceBroken("empty XPath expression in \"" + query.text_ + "\"");
    }
    xmlInitParser();
    XmlErrorCapture errors;
    query.xpath_.reset(xmlXPathCompile(reinterpret_cast<const xmlChar*>(expression.c_str())));
    if (query.xpath_ == nullptr || errors.has_error()) {
      return Error::SourceBroken(XPathError(errors, selector, "invalid expression", true));
    }
    // Unknown functions and variables only show up when evaluating: try it on an empty page.
    std::unique_ptr<xmlDoc, DocFree> doc(xmlNewDoc(reinterpret_cast<const xmlChar*>("1.0")));
    xmlNode* root =
        xmlNewDocNode(doc.get(), nullptr, reinterpret_cast<const xmlChar*>("html"), nullptr);
    xmlDocSetRootElement(doc.get(), root);
    std::unique_ptr<xmlXPathContext, ContextFree> context(xmlXPathNewContext(doc.get()));
    RegisterNamespaces(context.get(), options.namespaces);
    if (auto probe = query.Evaluate(context.get(), root); !probe) return probe.error();
    return query;
  }
  if (selector.find_first_not_of(" \t\r\n") == std::string_view::npos) return query;
  auto css = CssSelector::Parse(selector);
  if (!css) return css.error();
  query.css_.emplace(std::move(*css));
  return query;
}

Result<NodeQuery::ObjectPtr> NodeQuery::Evaluate(xmlXPathContext* context, xmlNode* scope) const {
  if (context == nullptr) return Error::SourceBroken("internal: no XPath context");
  // Errors reach the capture's thread-wide handler with their message; a per-context
  // xmlXPathContext::error handler would get them without one.
  XmlErrorCapture errors;
  context->node = scope;
  ObjectPtr result(xmlXPathCompiledEval(xpath_.get(), context));
  if (result == nullptr || errors.has_error()) {
    return Error::SourceBroken(XPathError(errors, text_, "evaluation failed", false));
  }
  return result;
}

Result<std::vector<xmlNode*>> NodeQuery::SelectElements(xmlXPathContext* xpath,
                                                        xmlNode* scope) const {
  if (css_) return css_->Select(scope);
  if (!xpath_) return std::vector<xmlNode*>{scope};
  auto result = Evaluate(xpath, scope);
  if (!result) return result.error();
  const xmlXPathObject& object = **result;
  if (object.type != XPATH_NODESET) {
    return Error::SourceBroken("XPath \"" + text_ + "\" must select elements");
  }
  std::vector<xmlNode*> out;
  if (object.nodesetval != nullptr) {
    for (int i = 0; i < object.nodesetval->nodeNr; ++i) {
      xmlNode* node = object.nodesetval->nodeTab[i];
      if (dom::IsElement(node)) out.push_back(node);
    }
  }
  return out;
}

Result<std::vector<nlohmann::json>> NodeQuery::SelectValues(xmlXPathContext* xpath, xmlNode* scope,
                                                            size_t limit) const {
  std::vector<nlohmann::json> out;
  if (limit == 0) return out;
  if (css_) {
    css_->ForEachMatch(scope, [&](xmlNode* node, const ComplexSelector& selector) {
      switch (selector.pseudo_element) {
        case PseudoElement::kNone:
          out.emplace_back(CollapseWhitespace(dom::TextContent(node)));
          break;
        case PseudoElement::kText:
          if (auto text = dom::DirectText(node)) out.emplace_back(std::move(*text));
          break;
        case PseudoElement::kAttr:
          if (auto value = dom::Attribute(node, selector.attribute)) {
            out.emplace_back(std::move(*value));
          }
          break;
      }
      return out.size() < limit;
    });
    return out;
  }
  if (!xpath_) {
    out.push_back(NodeValue(scope));
    return out;
  }
  auto result = Evaluate(xpath, scope);
  if (!result) return result.error();
  const xmlXPathObject& object = **result;
  switch (object.type) {
    case XPATH_NODESET:
      if (object.nodesetval != nullptr) {
        for (int i = 0; i < object.nodesetval->nodeNr && out.size() < limit; ++i) {
          out.push_back(NodeValue(object.nodesetval->nodeTab[i]));
        }
      }
      break;
    case XPATH_STRING:
      out.emplace_back(object.stringval != nullptr ? reinterpret_cast<const char*>(object.stringval)
                                                   : "");
      break;
    case XPATH_NUMBER:
      if (std::isfinite(object.floatval)) out.push_back(NumberValue(object.floatval));
      break;
    case XPATH_BOOLEAN:
      out.emplace_back(object.boolval != 0);
      break;
    default:
      return Error::SourceBroken("XPath \"" + text_ + "\" gave an unsupported result type");
  }
  return out;
}

}  // namespace tributary::merge::extract
