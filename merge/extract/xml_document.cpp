#include "merge/extract/xml_document.hpp"

#include <libxml/parser.h>

#include <climits>
#include <string>

#include "merge/extract/xml_error_capture.hpp"

namespace tributary::merge::extract {

Result<XmlDocument> XmlDocument::Parse(std::string_view utf8, const std::string& url) {
  if (utf8.size() > static_cast<size_t>(INT_MAX)) {
    return Error::SourceBroken("the XML document is too large to parse");
  }
  xmlInitParser();
  // No XML_PARSE_NOENT (entities stay references: no expansion bombs) and no XML_PARSE_HUGE
  // (libxml2 keeps its own depth and size guards); NONET and no DTD loading: no outside access.
  constexpr int kOptions = XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOCDATA |
                           XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC |
                           XML_PARSE_COMPACT;
  XmlErrorCapture errors;
  xmlDoc* doc = xmlReadMemory(utf8.data(), static_cast<int>(utf8.size()),
                              url.empty() ? nullptr : url.c_str(), "UTF-8", kOptions);
  if (doc == nullptr || xmlDocGetRootElement(doc) == nullptr) {
    if (doc != nullptr) xmlFreeDoc(doc);
    std::string why = errors.message().empty() ? "no root element" : errors.message();
    if (errors.line() > 0) why += " (line " + std::to_string(errors.line()) + ")";
    return Error::SourceBroken("the document is not XML: " + why);
  }
  return XmlDocument(doc);
}

}  // namespace tributary::merge::extract
