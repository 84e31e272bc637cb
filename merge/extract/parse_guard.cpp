#include "merge/extract/parse_guard.hpp"

#include "merge/extract/bounds.hpp"

namespace tributary::merge::extract {

ParseGuard::ParseGuard(xmlParserCtxt* ctxt, const config::ExtractLimits& limits)
    : limits_(limits) {
  xmlSAXHandler* sax = ctxt->sax;
  start_ = sax->startElement;
  end_ = sax->endElement;
  start_ns_ = sax->startElementNs;
  end_ns_ = sax->endElementNs;
  // Only the callbacks the parser uses are wrapped: HTML calls the SAX1 pair, XML (SAX2
  // handler) the namespace-aware pair.
  if (start_ != nullptr) sax->startElement = &ParseGuard::StartElement;
  if (end_ != nullptr) sax->endElement = &ParseGuard::EndElement;
  if (start_ns_ != nullptr) sax->startElementNs = &ParseGuard::StartElementNs;
  if (end_ns_ != nullptr) sax->endElementNs = &ParseGuard::EndElementNs;
  ctxt->_private = this;
}

ParseGuard& ParseGuard::Of(void* ctx) {
  return *static_cast<ParseGuard*>(static_cast<xmlParserCtxt*>(ctx)->_private);
}

bool ParseGuard::Open(void* ctx) {
  if (error_) return false;
  if (++elements_ > limits_.max_nodes) {
    error_ = NodesError(limits_.max_nodes);
  } else if (++depth_ > limits_.max_depth) {
    error_ = DepthError(limits_.max_depth);
  } else {
    return true;
  }
  xmlStopParser(static_cast<xmlParserCtxt*>(ctx));
  return false;
}

void ParseGuard::StartElement(void* ctx, const xmlChar* name, const xmlChar** attributes) {
  ParseGuard& g = Of(ctx);
  if (g.Open(ctx)) g.start_(ctx, name, attributes);
}

void ParseGuard::EndElement(void* ctx, const xmlChar* name) {
  ParseGuard& g = Of(ctx);
  if (g.error_) return;
  if (g.depth_ > 0) --g.depth_;
  g.end_(ctx, name);
}

void ParseGuard::StartElementNs(void* ctx, const xmlChar* local, const xmlChar* prefix,
                                const xmlChar* uri, int nb_namespaces, const xmlChar** namespaces,
                                int nb_attributes, int nb_defaulted, const xmlChar** attributes) {
  ParseGuard& g = Of(ctx);
  if (g.Open(ctx)) {
    g.start_ns_(ctx, local, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted,
                attributes);
  }
}

void ParseGuard::EndElementNs(void* ctx, const xmlChar* local, const xmlChar* prefix,
                              const xmlChar* uri) {
  ParseGuard& g = Of(ctx);
  if (g.error_) return;
  if (g.depth_ > 0) --g.depth_;
  g.end_ns_(ctx, local, prefix, uri);
}

Result<xmlDoc*> ParseGuarded(xmlParserCtxt* ctxt, const config::ExtractLimits* limits,
                             int (*parse)(xmlParserCtxt*)) {
  std::optional<ParseGuard> guard;
  if (limits != nullptr && ctxt->sax != nullptr) guard.emplace(ctxt, *limits);
  parse(ctxt);
  // The document holds its own reference to the parser's dictionary (xmlSAX2StartDocument
  // takes one): freeing the context and, later, the document releases both.
  xmlDoc* doc = ctxt->myDoc;
  ctxt->myDoc = nullptr;
  if (guard && guard->error()) {
    if (doc != nullptr) xmlFreeDoc(doc);
    return *guard->error();
  }
  return doc;
}

}  // namespace tributary::merge::extract
