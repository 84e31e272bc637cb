#include "merge/extract/xml_error_capture.hpp"

#include <exception>

namespace tributary::merge::extract {
namespace {

// xmlGenericErrorFunc (xmlSetGenericErrorFunc): a few libxml2 paths print through it directly.
void IgnoreGenericError(void* /*ctx*/, const char* /*msg*/, ...) noexcept {}

}  // namespace

XmlErrorCapture::XmlErrorCapture()
    : previous_structured_(xmlStructuredError),
      previous_structured_context_(xmlStructuredErrorContext),
      previous_generic_(xmlGenericError),
      previous_generic_context_(xmlGenericErrorContext) {
  xmlSetStructuredErrorFunc(this, &XmlErrorCapture::OnStructuredError);
  xmlSetGenericErrorFunc(nullptr, &IgnoreGenericError);
}

XmlErrorCapture::~XmlErrorCapture() {
  xmlSetStructuredErrorFunc(previous_structured_context_, previous_structured_);
  xmlSetGenericErrorFunc(previous_generic_context_, previous_generic_);
}

void XmlErrorCapture::OnStructuredError(void* user_data, xmlErrorPtr error) noexcept {
  if (user_data == nullptr || error == nullptr) return;
  try {
    static_cast<XmlErrorCapture*>(user_data)->Record(*error);
  } catch (const std::exception&) {
    // Out of memory while copying a message: the error is still flagged by has_error_.
  }
}

void XmlErrorCapture::Record(const xmlError& error) {
  if (has_error_) return;
  has_error_ = true;
  if (error.domain == XML_FROM_XPATH) offset_ = error.int1;
  if (error.domain == XML_FROM_PARSER) line_ = error.line;
  if (error.message != nullptr) {
    message_ = error.message;
    while (!message_.empty() && (message_.back() == '\n' || message_.back() == ' ')) {
      message_.pop_back();
    }
  }
}

}  // namespace tributary::merge::extract
