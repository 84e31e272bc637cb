#include "merge/extract/xml_document.hpp"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include <climits>
#include <memory>
#include <string>

#include "merge/extract/parse_guard.hpp"
#include "merge/extract/xml_error_capture.hpp"

namespace tributary::merge::extract {

Result<XmlDocument> XmlDocument::Parse(std::string_view utf8, const std::string& url,
                                       const config::ExtractLimits* limits) {
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
  // xmlReadMemory step by step (libxml2 2.9's xmlDoRead), so that the guard can stop a
  // document past its bounds while it is being parsed.
  std::unique_ptr<xmlParserCtxt, void (*)(xmlParserCtxt*)> ctxt(
      xmlCreateMemoryParserCtxt(utf8.data(), static_cast<int>(utf8.size())), xmlFreeParserCtxt);
  if (ctxt == nullptr) return Error::SourceBroken("out of memory creating the XML parser");
  xmlCtxtUseOptions(ctxt.get(), kOptions);
  if (xmlCharEncodingHandlerPtr handler = xmlFindCharEncodingHandler("UTF-8")) {
    xmlSwitchToEncoding(ctxt.get(), handler);
  }
  if (!url.empty() && ctxt->input != nullptr && ctxt->input->filename == nullptr) {
    ctxt->input->filename = reinterpret_cast<char*>(xmlStrdup(BAD_CAST url.c_str()));
  }
  auto parsed = ParseGuarded(ctxt.get(), limits, xmlParseDocument);
  if (!parsed) return parsed.error();
  xmlDoc* doc = *parsed;  // kept even when not well-formed: XML_PARSE_RECOVER
  if (doc == nullptr || xmlDocGetRootElement(doc) == nullptr) {
    if (doc != nullptr) xmlFreeDoc(doc);
    std::string why = errors.message().empty() ? "no root element" : errors.message();
    if (errors.line() > 0) why += " (line " + std::to_string(errors.line()) + ")";
    return Error::SourceBroken("the document is not XML: " + why);
  }
  return XmlDocument(doc);
}

}  // namespace tributary::merge::extract
