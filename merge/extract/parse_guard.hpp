#pragma once
// Stops a libxml2 parse as soon as the document has more elements than the source's
// bounds.max_nodes or nests them deeper than bounds.max_depth, instead of letting a hostile
// document build its whole tree first (memory) only for CheckTreeBounds to refuse it. It wraps
// the context's SAX element callbacks (HTML's and XML's namespace-aware ones), counts, and
// calls xmlStopParser. Elements are a lower bound of the nodes CheckTreeBounds counts, so the
// guard never refuses a document the full check would accept.
// Thread safety: one guard per parser context, on the parsing thread; it must outlive the parse.

#include <libxml/parser.h>

#include <cstdint>
#include <optional>

#include "common/result.hpp"
#include "config/extraction.hpp"

namespace tributary::merge::extract {

class ParseGuard {
 public:
  // Installs itself into `ctxt` (its SAX handler and _private).
  ParseGuard(xmlParserCtxt* ctxt, const config::ExtractLimits& limits);
  ParseGuard(const ParseGuard&) = delete;
  ParseGuard& operator=(const ParseGuard&) = delete;

  // The bounds error when the guard stopped the parse.
  const std::optional<Error>& error() const { return error_; }

 private:
  static void StartElement(void* ctx, const xmlChar* name, const xmlChar** attributes);
  static void EndElement(void* ctx, const xmlChar* name);
  static void StartElementNs(void* ctx, const xmlChar* local, const xmlChar* prefix,
                             const xmlChar* uri, int nb_namespaces, const xmlChar** namespaces,
                             int nb_attributes, int nb_defaulted, const xmlChar** attributes);
  static void EndElementNs(void* ctx, const xmlChar* local, const xmlChar* prefix,
                           const xmlChar* uri);
  static ParseGuard& Of(void* ctx);
  // Counts an element opening; false (and the parser stopped) past a bound.
  bool Open(void* ctx);

  const config::ExtractLimits limits_;
  startElementSAXFunc start_ = nullptr;
  endElementSAXFunc end_ = nullptr;
  startElementNsSAX2Func start_ns_ = nullptr;
  endElementNsSAX2Func end_ns_ = nullptr;
  uint64_t elements_ = 0;
  uint64_t depth_ = 0;
  std::optional<Error> error_;
};

// Runs `parse` (htmlParseDocument or xmlParseDocument) on `ctxt`, under a guard when `limits`
// is given, and takes the document it built: the bounds error when the guard stopped the parse
// (the partial document freed), else the document (nullptr when none was built).
Result<xmlDoc*> ParseGuarded(xmlParserCtxt* ctxt, const config::ExtractLimits* limits,
                             int (*parse)(xmlParserCtxt*));

}  // namespace tributary::merge::extract
