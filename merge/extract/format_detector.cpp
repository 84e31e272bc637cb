// DetectFormat (declared in extractor.hpp): the Content-Type first, then the first bytes.
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

Format Sniff(std::string_view body) {
  const std::string text = Preview(body);
  size_t i = 0;
  auto skip_space = [&] {
    while (i < text.size() && IsSpace(text[i])) ++i;
  };
  skip_space();
  if (i >= text.size()) return Format::kText;
  if (text[i] == '{' || text[i] == '[') return Format::kJson;
  if (text[i] != '<') return Format::kText;
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
  if (auto format = FromMediaType(MediaType(content_type))) return *format;
  return Sniff(body);
}

}  // namespace tributary::merge::extract
