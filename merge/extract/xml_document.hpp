#pragma once
// An XML document parsed by libxml2 from UTF-8 text (charset.hpp converts first, so the
// declaration's encoding is ignored). Never touches the network, never loads external DTDs
// or entities, keeps CDATA as text. Broken XML is recovered the way libxml2 recovers it (feeds
// in the wild often are); a document without any element is an error that quotes libxml2's
// first complaint with its line. Thread safety: one owner thread; reading is const.

#include <libxml/tree.h>

#include <memory>
#include <string_view>

#include "common/result.hpp"
#include "config/extraction.hpp"

namespace tributary::merge::extract {

class XmlDocument {
 public:
  // `url`: the document's URL, the base of relative references (with xml:base on top).
  // `limits`: as for HtmlDocument::Parse, the parse stops early past the element bounds.
  static Result<XmlDocument> Parse(std::string_view utf8, const std::string& url = {},
                                   const config::ExtractLimits* limits = nullptr);

  xmlDoc* doc() const { return doc_.get(); }
  xmlNode* root() const { return xmlDocGetRootElement(doc_.get()); }

 private:
  struct DocFree {
    void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
  };
  explicit XmlDocument(xmlDoc* doc) : doc_(doc) {}

  std::unique_ptr<xmlDoc, DocFree> doc_;
};

}  // namespace tributary::merge::extract
