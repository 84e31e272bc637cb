#pragma once
// Keeps libxml2's error reports off stderr for one scope and remembers the first one, so XPath
// syntax errors can be shown to the user with their position. libxml2 keeps its error handlers
// per thread, so a capture only affects the calling thread; captures nest (the handlers in place
// before are restored on destruction). Not copyable or movable: libxml2 holds its address.

#include <libxml/xmlerror.h>

#include <string>

namespace tributary::merge::extract {

class XmlErrorCapture {
 public:
  XmlErrorCapture();
  ~XmlErrorCapture();
  XmlErrorCapture(const XmlErrorCapture&) = delete;
  XmlErrorCapture& operator=(const XmlErrorCapture&) = delete;

  bool has_error() const { return has_error_; }
  // The first error's message without its trailing newline; "" when none.
  const std::string& message() const { return message_; }
  // For XPath errors: the 0-based byte offset in the expression; -1 when unknown.
  int offset() const { return offset_; }
  // For parser errors: the 1-based line; 0 when unknown.
  int line() const { return line_; }

  // xmlStructuredErrorFunc (xmlSetStructuredErrorFunc).
  static void OnStructuredError(void* user_data, xmlErrorPtr error) noexcept;

 private:
  void Record(const xmlError& error);

  xmlStructuredErrorFunc previous_structured_;
  void* previous_structured_context_;
  xmlGenericErrorFunc previous_generic_;
  void* previous_generic_context_;
  bool has_error_ = false;
  std::string message_;
  int offset_ = -1;
  int line_ = 0;
};

}  // namespace tributary::merge::extract
