#include "merge/extract/html_document.hpp"

#include <libxml/HTMLparser.h>
#include <libxml/encoding.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include <climits>
#include <cstring>
#include <memory>
#include <string>

#include "merge/extract/parse_guard.hpp"
#include "merge/extract/text_util.hpp"
#include "merge/extract/xml_error_capture.hpp"

namespace tributary::merge::extract {
namespace {

bool HasByteOrderMark(std::string_view body) {
  return body.starts_with("\xEF\xBB\xBF") || body.starts_with("\xFE\xFF") ||
         body.starts_with("\xFF\xFE");
}

// The charset to force, or "" to let libxml2 sniff. Unknown names are ignored rather than
// failing the parse: a wrong header should not lose the document.
std::string UsableCharset(std::string_view body, std::string_view charset) {
  if (charset.empty() || HasByteOrderMark(body)) return {};
  std::string name(charset);
  xmlCharEncodingHandlerPtr handler = xmlFindCharEncodingHandler(name.c_str());
  if (handler == nullptr) return {};
  xmlCharEncCloseFunc(handler);
  return name;
}

bool IsUtf8Name(const std::string& name) {
  const std::string lower = ToLower(name);
  return lower == "utf-8" || lower == "utf8";
}

bool IsBlank(std::string_view body) {
  for (char c : body) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f') return false;
  }
  return true;
}

}  // namespace

Result<HtmlDocument> HtmlDocument::Parse(std::string_view body, std::string_view charset,
                                         bool ignore_declared_encoding,
                                         const config::ExtractLimits* limits) {
  if (IsBlank(body)) return Error::SourceBroken("the HTML document is empty");
  if (body.size() > static_cast<size_t>(INT_MAX)) {
    return Error::SourceBroken("the HTML document is too large to parse");
  }
  xmlInitParser();
  const std::string encoding = UsableCharset(body, charset);
  // XML_PARSE_HUGE lifts the 256-level depth limit: past it libxml2 stops parsing and drops
  // the rest of the document. Every walk over the tree here is iterative, so depth is safe.
  constexpr int kOptions = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                           HTML_PARSE_NONET | HTML_PARSE_COMPACT | XML_PARSE_HUGE;
  XmlErrorCapture quiet;
  // htmlReadMemory, step by step (libxml2 2.9's htmlDoRead), for two reasons: a UTF-8 body is
  // read as it is (htmlReadMemory runs even UTF-8 through a converter, a copy of every byte),
  // and the SAX guard can stop a document that is too large while it is being parsed.
  std::unique_ptr<xmlParserCtxt, void (*)(xmlParserCtxt*)> ctxt(
      xmlCreateMemoryParserCtxt(body.data(), static_cast<int>(body.size())), xmlFreeParserCtxt);
  if (ctxt == nullptr) return Error::SourceBroken("out of memory creating the HTML parser");
  htmlDefaultSAXHandlerInit();
  if (ctxt->sax != nullptr) std::memcpy(ctxt->sax, &htmlDefaultSAXHandler, sizeof(xmlSAXHandlerV1));
  htmlCtxtUseOptions(ctxt.get(),
                     kOptions | (ignore_declared_encoding ? HTML_PARSE_IGNORE_ENC : 0));
  ctxt->html = 1;
  if (!encoding.empty()) {
    if (ignore_declared_encoding && IsUtf8Name(encoding)) {
      xmlSwitchEncoding(ctxt.get(), XML_CHAR_ENCODING_UTF8);  // no conversion
    } else if (xmlCharEncodingHandlerPtr handler = xmlFindCharEncodingHandler(encoding.c_str())) {
      xmlSwitchToEncoding(ctxt.get(), handler);
      if (ctxt->input->encoding != nullptr) xmlFree(const_cast<xmlChar*>(ctxt->input->encoding));
      ctxt->input->encoding = xmlStrdup(reinterpret_cast<const xmlChar*>(encoding.c_str()));
    }
  }
  auto parsed = ParseGuarded(ctxt.get(), limits, htmlParseDocument);
  if (!parsed) return parsed.error();
  xmlDoc* doc = *parsed;
  if (doc == nullptr) return Error::SourceBroken("the document could not be parsed as HTML");
  return HtmlDocument(doc);
}

xmlNode* HtmlDocument::root() const { return xmlDocGetRootElement(doc_.get()); }

}  // namespace tributary::merge::extract
