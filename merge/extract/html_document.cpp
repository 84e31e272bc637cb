#include "merge/extract/html_document.hpp"

#include <libxml/HTMLparser.h>
#include <libxml/encoding.h>
#include <libxml/parser.h>

#include <climits>
#include <string>

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

bool IsBlank(std::string_view body) {
  for (char c : body) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f') return false;
  }
  return true;
}

}  // namespace

Result<HtmlDocument> HtmlDocument::Parse(std::string_view body, std::string_view charset,
                                         bool ignore_declared_encoding) {
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
  xmlDoc* doc = htmlReadMemory(body.data(), static_cast<int>(body.size()), nullptr,
                               encoding.empty() ? nullptr : encoding.c_str(),
                               kOptions | (ignore_declared_encoding ? HTML_PARSE_IGNORE_ENC : 0));
  if (doc == nullptr) return Error::SourceBroken("the document could not be parsed as HTML");
  return HtmlDocument(doc);
}

xmlNode* HtmlDocument::root() const { return xmlDocGetRootElement(doc_.get()); }

}  // namespace tributary::merge::extract
