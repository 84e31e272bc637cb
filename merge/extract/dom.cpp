#include "merge/extract/dom.hpp"

namespace tributary::merge::extract::dom {
namespace {

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsText(const xmlNode* node) {
  return node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE;
}

void AppendContent(const xmlNode* node, std::string& out) {
  if (node->content != nullptr) out += reinterpret_cast<const char*>(node->content);
}

}  // namespace

bool IsElement(const xmlNode* node) { return node != nullptr && node->type == XML_ELEMENT_NODE; }

xmlNode* ParentElement(const xmlNode* node) {
  return IsElement(node->parent) ? node->parent : nullptr;
}

xmlNode* PreviousElementSibling(const xmlNode* node) {
  for (xmlNode* n = node->prev; n != nullptr; n = n->prev) {
    if (IsElement(n)) return n;
  }
  return nullptr;
}

xmlNode* NextElementSibling(const xmlNode* node) {
  for (xmlNode* n = node->next; n != nullptr; n = n->next) {
    if (IsElement(n)) return n;
  }
  return nullptr;
}

xmlNode* FirstElementChild(const xmlNode* node) {
  for (xmlNode* n = node->children; n != nullptr; n = n->next) {
    if (IsElement(n)) return n;
  }
  return nullptr;
}

bool NameEquals(const xmlChar* a, std::string_view name) {
  if (a == nullptr) return false;
  const char* s = reinterpret_cast<const char*>(a);
  size_t i = 0;
  for (; i < name.size(); ++i) {
    if (s[i] == '\0' || AsciiLower(s[i]) != AsciiLower(name[i])) return false;
  }
  return s[i] == '\0';
}

const xmlAttr* FindAttribute(const xmlNode* element, std::string_view name) {
  if (!IsElement(element)) return nullptr;
  for (const xmlAttr* a = element->properties; a != nullptr; a = a->next) {
    if (NameEquals(a->name, name)) return a;
  }
  return nullptr;
}

std::string AttributeValue(const xmlAttr* attribute) {
  std::string out;
  for (const xmlNode* n = attribute->children; n != nullptr; n = n->next) {
    if (IsText(n) || n->type == XML_ENTITY_REF_NODE) AppendContent(n, out);
  }
  return out;
}

std::optional<std::string> Attribute(const xmlNode* element, std::string_view name) {
  const xmlAttr* a = FindAttribute(element, name);
  if (a == nullptr) return std::nullopt;
  return AttributeValue(a);
}

std::string TextContent(const xmlNode* node) {
  std::string out;
  if (IsText(node)) {
    AppendContent(node, out);
    return out;
  }
  for (const xmlNode* n = node->children; n != nullptr; n = NextInSubtree(n, node)) {
    if (IsText(n)) AppendContent(n, out);
  }
  return out;
}

std::optional<std::string> DirectText(const xmlNode* element) {
  std::optional<std::string> out;
  for (const xmlNode* n = element->children; n != nullptr; n = n->next) {
    if (!IsText(n)) continue;
    if (!out) out.emplace();
    AppendContent(n, *out);
  }
  return out;
}

std::string StringValue(const xmlNode* node) {
  switch (node->type) {
    case XML_ATTRIBUTE_NODE:
      return AttributeValue(reinterpret_cast<const xmlAttr*>(node));
    case XML_ELEMENT_NODE:
    case XML_DOCUMENT_NODE:
    case XML_HTML_DOCUMENT_NODE:
    case XML_DOCUMENT_FRAG_NODE:
      return TextContent(node);
    default: {
      std::string out;
      AppendContent(node, out);
      return out;
    }
  }
}

xmlNode* NextInSubtree(const xmlNode* node, const xmlNode* scope) {
  // Attributes, entity declarations and the like are not part of the walk.
  if (node->children != nullptr && node->type != XML_ENTITY_REF_NODE &&
      node->type != XML_ATTRIBUTE_NODE && node->type != XML_DTD_NODE) {
    return node->children;
  }
  for (const xmlNode* n = node; n != nullptr && n != scope; n = n->parent) {
    if (n->next != nullptr) return n->next;
  }
  return nullptr;
}

}  // namespace tributary::merge::extract::dom
