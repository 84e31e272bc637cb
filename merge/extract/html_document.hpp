#pragma once
// An HTML document parsed by libxml2's forgiving HTML parser. Malformed markup is repaired the
// way libxml2 does it; parser diagnostics never reach stderr.
// Encoding: a byte-order mark wins; then the Content-Type charset (when libxml2 knows it); then
// the document's own <meta charset>; then libxml2's default (UTF-8, falling back to Latin-1).
// Thread safety: a document is owned by one thread at a time; reading it is const.

#include <libxml/tree.h>

#include <memory>
#include <string_view>

#include "common/result.hpp"
#include "config/extraction.hpp"

namespace tributary::merge::extract {

class HtmlDocument {
 public:
  // kSourceBroken for an empty body or one libxml2 cannot turn into a document.
  // ignore_declared_encoding: the body was already converted (charset.hpp); <meta charset>
  // must not switch the parser to another encoding.
  // limits: when given, parsing stops as soon as the document has more elements than
  // limits->max_nodes or nests deeper than limits->max_depth (the bounds error, before a
  // hostile document has built its whole tree); the full count is CheckTreeBounds' job.
  static Result<HtmlDocument> Parse(std::string_view body, std::string_view charset,
                                    bool ignore_declared_encoding = false,
                                    const config::ExtractLimits* limits = nullptr);

  xmlDoc* doc() const { return doc_.get(); }
  // The document element (<html>); nullptr when the document has none.
  xmlNode* root() const;

 private:
  struct DocFree {
    void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
  };
  explicit HtmlDocument(xmlDoc* doc) : doc_(doc) {}

  std::unique_ptr<xmlDoc, DocFree> doc_;
};

}  // namespace tributary::merge::extract
