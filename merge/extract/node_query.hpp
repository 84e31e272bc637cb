#pragma once
// One HTML selector from a source definition, compiled: CSS (css_selector.hpp), XPath 1.0 when
// it starts with "xpath:", or empty for the scope node itself.
//
// Values (for fields): an element gives its whole text, whitespace-collapsed; ::text gives the
// element's own text nodes joined (elements without any are skipped); ::attr(name) gives the
// attribute (elements without it are skipped). XPath node-sets give each node's string value
// (elements collapsed as above); XPath strings, numbers and booleans give one JSON value.
// Thread safety: immutable after Compile; evaluation is const and reentrant.

#include <libxml/tree.h>
#include <libxml/xpath.h>

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "merge/extract/css_selector.hpp"

namespace tributary::merge::extract {

// How selectors are read: HTML sources write CSS unless "xpath:" says otherwise; XML sources
// write XPath (the prefix is optional), with the namespace prefixes they declare.
struct NodeQueryOptions {
  bool xpath_only = false;
  const std::map<std::string, std::string>* namespaces = nullptr;  // prefix -> URI
};

class NodeQuery {
 public:
  static constexpr std::string_view kXPathPrefix = "xpath:";

  // Errors give the position in `selector`: `unexpected "]" at position 5 in "a[b]]"`.
  static Result<NodeQuery> Compile(std::string_view selector, const NodeQueryOptions& options = {});

  // Registers the namespace prefixes on an XPath context (for contexts callers create).
  static void RegisterNamespaces(xmlXPathContext* context,
                                 const std::map<std::string, std::string>* namespaces);

  bool is_xpath() const { return xpath_ != nullptr; }
  bool has_pseudo_element() const { return css_ && css_->HasPseudoElement(); }

  // The elements selected under scope, in document order. `xpath` is a context on scope's
  // document; it is needed only when is_xpath(). Errors: XPath evaluation failures, or an XPath
  // result that is not a node-set.
  Result<std::vector<xmlNode*>> SelectElements(xmlXPathContext* xpath, xmlNode* scope) const;
  // At most `limit` values (see above).
  Result<std::vector<nlohmann::json>> SelectValues(xmlXPathContext* xpath, xmlNode* scope,
                                                   size_t limit) const;

 private:
  struct XPathFree {
    void operator()(xmlXPathCompExpr* expr) const { xmlXPathFreeCompExpr(expr); }
  };
  using XPathPtr = std::unique_ptr<xmlXPathCompExpr, XPathFree>;
  struct ObjectFree {
    void operator()(xmlXPathObject* object) const { xmlXPathFreeObject(object); }
  };
  using ObjectPtr = std::unique_ptr<xmlXPathObject, ObjectFree>;

  NodeQuery() = default;
  Result<ObjectPtr> Evaluate(xmlXPathContext* context, xmlNode* scope) const;

  std::string text_;
  std::optional<CssSelector> css_;  // neither css_ nor xpath_: the scope itself
  XPathPtr xpath_;
};

}  // namespace tributary::merge::extract
