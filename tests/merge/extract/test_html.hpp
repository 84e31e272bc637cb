#pragma once
// Helpers for the extraction tests: parse a fixture and describe selected nodes by id.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "merge/extract/dom.hpp"
#include "merge/extract/html_document.hpp"

namespace tributary::merge::extract::testing {

inline HtmlDocument ParseOrDie(std::string_view html, std::string_view charset = "") {
  auto doc = HtmlDocument::Parse(html, charset);
  if (!doc) ADD_FAILURE() << doc.error().message;
  return std::move(*doc);
}

inline xmlNode* DocNode(const HtmlDocument& doc) { return reinterpret_cast<xmlNode*>(doc.doc()); }

// "id1 id2 ..." (the element name where there is no id).
inline std::string Describe(const std::vector<xmlNode*>& nodes) {
  std::string out;
  for (const xmlNode* n : nodes) {
    if (!out.empty()) out += ' ';
    const auto id = dom::Attribute(n, "id");
    out += id ? *id : std::string(reinterpret_cast<const char*>(n->name));
  }
  return out;
}

}  // namespace tributary::merge::extract::testing
