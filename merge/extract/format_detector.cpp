// DetectFormat (declared in extractor.hpp): the Content-Type first, then the first bytes.
// A specific media type decides alone; a generic one (XML, JSON, plain text) is refined by the
// content, because feeds are often served as text/xml or application/json and CSV files as
// text/plain: a user who leaves "format" out expects a feed to be read as a feed.
#include <array>
#include <optional>
#include <string>

#include "merge/extract/content_type.hpp"
#include "merge/extract/extractor.hpp"

namespace tributary::merge::extract {
namespace {

using config::Format;

std::optional<Format> FromMediaType(const std::string& media) {
  if (media == "text/html" || media == "application/xhtml+xml") return Format::kHtml;
  if (media == "application/feed+json") return Format::kFeed;  // JSON Feed 1.1's own type
  if (media == "application/json" || media == "text/json" || media.ends_with("+json")) {
    return Format::kJson;
  }
  if (media == "text/csv" || media == "application/csv") return Format::kCsv;
  if (media == "application/rss+xml" || media == "application/atom+xml" ||
      media == "application/rdf+xml") {
    return Format::kFeed;
  }
  if (media == "application/xml" || media == "text/xml" || media.ends_with("+xml")) {
    return Format::kXml;
  }
  if (media == "text/plain") return Format::kText;
  return std::nullopt;
}

// The first few KiB, lower-cased, without a BOM and without NUL bytes (so UTF-16 text reads
// as ASCII for the purpose of sniffing).
std::string Preview(std::string_view body) {
  if (body.starts_with("\xEF\xBB\xBF")) {
    body.remove_prefix(3);
  } else if (body.starts_with("\xFE\xFF") || body.starts_with("\xFF\xFE")) {
    body.remove_prefix(2);
  }
  std::string out;
  for (size_t i = 0; i < body.size() && out.size() < 4096; ++i) {
    char c = body[i];
    if (c == '\0') continue;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out += c;
  }
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

constexpr std::array<std::string_view, 30> kHtmlElements = {
    "head",  "body", "div",    "p",      "span",   "table",   "a",       "meta",
    "title", "link", "script", "style",  "br",     "ul",      "ol",      "li",
    "h1",    "h2",   "h3",     "form",   "img",    "section", "article", "header",
    "nav",   "main", "footer", "iframe", "center", "font"};

// Whether a JSON document is a JSON Feed: its "version" member names jsonfeed.org (the spec
// puts it first, but any position in the preview counts).
bool IsJsonFeed(const std::string& preview) {
  const size_t version = preview.find("\"version\"");
  if (version == std::string::npos) return false;
  const size_t value = preview.find('"', preview.find(':', version));
  return value != std::string::npos &&
         std::string_view(preview).substr(value + 1).starts_with("https://jsonfeed.org/version/");
}

// Whether plain text looks like CSV: at least two complete lines that split into the same
// number (two or more) of fields on one of the usual delimiters, quotes respected.
bool IsCsvLike(const std::string& preview) {
  for (const char delimiter : {',', ';', '\t', '|'}) {
    int lines = 0;
    size_t fields = 1;
    size_t expected = 0;
    bool quoted = false;
    bool consistent = true;
    for (const char c : preview) {
      if (c == '"') {
        quoted = !quoted;
      } else if (!quoted && c == delimiter) {
        ++fields;
      } else if (!quoted && c == '\n') {
        if (expected == 0) expected = fields;
        consistent = consistent && fields == expected;
        ++lines;
        fields = 1;
      }
    }
    if (consistent && lines >= 2 && expected >= 2) return true;
  }
  return false;
}

Format Sniff(std::string_view body) {
  const std::string text = Preview(body);
  size_t i = 0;
  auto skip_space = [&] {
    while (i < text.size() && IsSpace(text[i])) ++i;
  };
  skip_space();
  if (i >= text.size()) return Format::kText;
  if (text[i] == '{') return IsJsonFeed(text) ? Format::kFeed : Format::kJson;
  if (text[i] == '[') return Format::kJson;
  if (text[i] != '<') return IsCsvLike(text) ? Format::kCsv : Format::kText;
  // Skip the prolog: declarations, processing instructions, comments and the doctype.
  while (i < text.size() && text[i] == '<') {
    const std::string_view rest = std::string_view(text).substr(i);
    size_t end = std::string_view::npos;
    if (rest.starts_with("<!--")) {
      end = rest.find("-->");
      if (end != std::string_view::npos) end += 3;
    } else if (rest.starts_with("<!doctype")) {
      std::string_view name = rest.substr(9);
      while (!name.empty() && IsSpace(name.front())) name.remove_prefix(1);
      if (name.starts_with("html")) return Format::kHtml;
      end = rest.find('>');
      if (end != std::string_view::npos) end += 1;
    } else if (rest.starts_with("<?") || rest.starts_with("<!")) {
      end = rest.find('>');
      if (end != std::string_view::npos) end += 1;
    } else {
      break;
    }
    if (end == std::string_view::npos) return Format::kXml;
    i += end;
    skip_space();
  }
  if (i >= text.size() || text[i] != '<') return Format::kXml;
  size_t name_end = i + 1;
  while (name_end < text.size() && !IsSpace(text[name_end]) && text[name_end] != '>' &&
         text[name_end] != '/') {
    ++name_end;
  }
  const std::string_view name = std::string_view(text).substr(i + 1, name_end - i - 1);
  if (name == "html") return Format::kHtml;
  if (name == "rss" || name == "feed" || name == "rdf:rdf" || name.ends_with(":feed")) {
    return Format::kFeed;
  }
  for (std::string_view element : kHtmlElements) {
    if (name == element) return Format::kHtml;
  }
  return Format::kXml;
}

}  // namespace

Format DetectFormat(std::string_view content_type, std::string_view body) {
  const auto declared = FromMediaType(MediaType(content_type));
  if (!declared) return Sniff(body);
  // Generic containers: the content says which kind of XML, JSON or text it is. The sniffed
  // format only narrows the declared one (an HTML page served as text/plain stays text).
  switch (*declared) {
    case Format::kXml:
      return Sniff(body) == Format::kFeed ? Format::kFeed : Format::kXml;
    case Format::kJson:
      return Sniff(body) == Format::kFeed ? Format::kFeed : Format::kJson;
    case Format::kText:
      return Sniff(body) == Format::kCsv ? Format::kCsv : Format::kText;
    default:
      return *declared;
  }
}

}  // namespace tributary::merge::extract
