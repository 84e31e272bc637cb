#pragma once
// Character sets: every document is converted to UTF-8 before it is parsed, so parsers and
// selectors only ever see UTF-8. The encoding is chosen from, in order of precedence:
//   1. the source's "encoding" (the user knows best);
//   2. a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE): unambiguous, as browsers do;
//   3. the HTTP Content-Type charset;
//   4. for markup, the document's own declaration: <meta charset> / <meta http-equiv> in the
//      first 4 KiB (HTML), the XML declaration's encoding (XML, feeds, XHTML);
//   5. UTF-8; HTML that is not valid UTF-8 is read as windows-1252, as browsers do.
// Names follow the WHATWG Encoding Standard's labels (iso-8859-1 and us-ascii mean
// windows-1252, gb2312 means GBK ...); a name iconv does not know is skipped (the next hint
// applies). Invalid or truncated sequences become U+FFFD; conversion never fails.
// Thread safety: pure functions (each call opens its own iconv descriptor).

#include <string>
#include <string_view>

namespace tributary::merge::extract {

enum class Markup { kNone, kHtml, kXml };

struct Utf8Text {
  std::string text;     // UTF-8, without a byte-order mark
  std::string charset;  // the encoding it was read as ("UTF-8", "WINDOWS-1252" ...)
};

Utf8Text DecodeToUtf8(std::string_view body, std::string_view header_charset,
                      std::string_view source_encoding, Markup markup);

// True when iconv can convert from `label` (after the WHATWG label mapping).
bool IsKnownCharset(std::string_view label);

// Replaces invalid UTF-8 sequences by U+FFFD (and drops a leading BOM).
std::string SanitizeUtf8(std::string_view text);

}  // namespace tributary::merge::extract
