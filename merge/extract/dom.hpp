#pragma once
// Small read-only helpers over libxml2 trees, shared by the CSS matcher and the extractors.
// Names compare ASCII case-insensitively (libxml2's HTML parser lower-cases element and
// attribute names; XHTML may not). Every walk is iterative: documents can be deeply nested.

#include <libxml/tree.h>

#include <optional>
#include <string>
#include <string_view>

namespace tributary::merge::extract::dom {

bool IsElement(const xmlNode* node);
// The parent when it is an element; nullptr at the root element.
xmlNode* ParentElement(const xmlNode* node);
xmlNode* PreviousElementSibling(const xmlNode* node);
xmlNode* NextElementSibling(const xmlNode* node);
xmlNode* FirstElementChild(const xmlNode* node);

// ASCII case-insensitive comparison of a libxml2 name with `name`.
bool NameEquals(const xmlChar* a, std::string_view name);

// The attribute `name` of an element (any namespace), or nullptr.
const xmlAttr* FindAttribute(const xmlNode* element, std::string_view name);
std::string AttributeValue(const xmlAttr* attribute);
std::optional<std::string> Attribute(const xmlNode* element, std::string_view name);

// Every descendant text and CDATA node joined, in document order (comments are skipped).
std::string TextContent(const xmlNode* node);
// The element's own text and CDATA children joined; nullopt when it has none.
std::optional<std::string> DirectText(const xmlNode* element);

// The string value of any node: attribute values, text, or an element's TextContent.
std::string StringValue(const xmlNode* node);

// The following node in a depth-first walk restricted to the subtree of `scope`, or nullptr.
xmlNode* NextInSubtree(const xmlNode* node, const xmlNode* scope);

}  // namespace tributary::merge::extract::dom
