#include "merge/extract/charset.hpp"

#include <iconv.h>

#include <cerrno>
#include <optional>
#include <utility>

#include "common/utf8.hpp"

namespace tributary::merge::extract {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
constexpr size_t kPrescanBytes = 4096;

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerTrimmed(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '"' || s.front() == '\'')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '"' || s.back() == '\'')) {
    s.remove_suffix(1);
  }
  std::string out;
  for (char c : s) out += Lower(c);
  return out;
}

// WHATWG labels -> a name glibc's iconv knows.
std::string IconvName(std::string_view label) {
  const std::string l = LowerTrimmed(label);
  if (l.empty()) return {};
  if (l == "utf8" || l == "utf-8" || l == "unicode-1-1-utf-8" || l == "x-unicode20utf8") {
    return "UTF-8";
  }
  if (l == "iso-8859-1" || l == "iso8859-1" || l == "latin1" || l == "l1" || l == "ascii" ||
      l == "us-ascii" || l == "cp1252" || l == "windows-1252" || l == "x-cp1252" ||
      l == "iso_8859-1" || l == "cp819" || l == "ibm819") {
    return "WINDOWS-1252";
  }
  if (l == "gb2312" || l == "gbk" || l == "x-gbk" || l == "gb_2312-80" || l == "chinese" ||
      l == "gb18030") {
    return "GB18030";
  }
  if (l == "shift_jis" || l == "shift-jis" || l == "sjis" || l == "x-sjis" || l == "ms_kanji" ||
      l == "windows-31j" || l == "ms932") {
    return "CP932";
  }
  if (l == "euc-kr" || l == "ks_c_5601-1987" || l == "windows-949") return "CP949";
  if (l == "big5" || l == "big5-hkscs" || l == "x-x-big5") return "BIG5-HKSCS";
  if (l == "iso-8859-9" || l == "latin5") return "WINDOWS-1254";
  if (l == "iso-8859-11" || l == "tis-620") return "WINDOWS-874";
  if (l == "utf-16" || l == "utf-16le") return "UTF-16LE";
  if (l == "utf-16be") return "UTF-16BE";
  std::string upper;
  for (char c : l) upper += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  return upper;
}

class Iconv {
 public:
  explicit Iconv(const std::string& from) : cd_(iconv_open("UTF-8", from.c_str())) {}
  ~Iconv() {
    if (ok()) iconv_close(cd_);
  }
  Iconv(const Iconv&) = delete;
  Iconv& operator=(const Iconv&) = delete;
  bool ok() const { return cd_ != reinterpret_cast<iconv_t>(-1); }

  // Converts everything, replacing what cannot be converted.
  std::string Convert(std::string_view in) {
    std::string out;
    out.reserve(in.size() + in.size() / 2 + 16);
    char buffer[16384];
    char* src = const_cast<char*>(in.data());
    size_t src_left = in.size();
    while (src_left > 0) {
      char* dst = buffer;
      size_t dst_left = sizeof buffer;
      const size_t rc = iconv(cd_, &src, &src_left, &dst, &dst_left);
      out.append(buffer, static_cast<size_t>(dst - buffer));
      if (rc != static_cast<size_t>(-1)) break;
      if (errno == E2BIG) continue;
      out += kReplacement;
      if (errno == EINVAL) break;  // truncated sequence at the end
      ++src;                       // EILSEQ: skip one byte and resynchronise
      --src_left;
      iconv(cd_, nullptr, nullptr, nullptr, nullptr);
    }
    char* dst = buffer;
    size_t dst_left = sizeof buffer;
    iconv(cd_, nullptr, nullptr, &dst, &dst_left);  // flush shift state
    out.append(buffer, static_cast<size_t>(dst - buffer));
    return out;
  }

 private:
  iconv_t cd_;
};

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

struct Bom {
  std::string_view charset;
  size_t length = 0;
};

std::optional<Bom> DetectBom(std::string_view body) {
  if (body.starts_with("\xEF\xBB\xBF")) return Bom{"UTF-8", 3};
  if (body.starts_with(std::string_view("\xFF\xFE\x00\x00", 4))) return Bom{"UTF-32LE", 4};
  if (body.starts_with(std::string_view("\x00\x00\xFE\xFF", 4))) return Bom{"UTF-32BE", 4};
  if (body.starts_with("\xFF\xFE")) return Bom{"UTF-16LE", 2};
  if (body.starts_with("\xFE\xFF")) return Bom{"UTF-16BE", 2};
  return std::nullopt;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// The value of attribute `name` inside one tag's text (lower-cased), or nullopt.
std::optional<std::string> TagAttribute(std::string_view tag, std::string_view name) {
  size_t i = 0;
  while (i < tag.size()) {
    while (i < tag.size() && (IsSpace(tag[i]) || tag[i] == '/')) ++i;
    const size_t name_start = i;
    while (i < tag.size() && !IsSpace(tag[i]) && tag[i] != '=' && tag[i] != '/') ++i;
    const std::string_view attribute = tag.substr(name_start, i - name_start);
    while (i < tag.size() && IsSpace(tag[i])) ++i;
    std::string_view value;
    if (i < tag.size() && tag[i] == '=') {
      ++i;
      while (i < tag.size() && IsSpace(tag[i])) ++i;
      if (i < tag.size() && (tag[i] == '"' || tag[i] == '\'')) {
        const char quote = tag[i++];
        const size_t end = tag.find(quote, i);
        value = tag.substr(i, end == std::string_view::npos ? tag.size() - i : end - i);
        i = end == std::string_view::npos ? tag.size() : end + 1;
      } else {
        const size_t start = i;
        while (i < tag.size() && !IsSpace(tag[i])) ++i;
        value = tag.substr(start, i - start);
      }
    }
    if (attribute == name) return std::string(value);
    if (attribute.empty()) ++i;
  }
  return std::nullopt;
}

// "text/html; charset=x" -> "x".
std::string CharsetFromContent(std::string_view content) {
  const size_t at = content.find("charset");
  if (at == std::string_view::npos) return {};
  size_t i = at + 7;
  while (i < content.size() && IsSpace(content[i])) ++i;
  if (i >= content.size() || content[i] != '=') return {};
  ++i;
  while (i < content.size() && (IsSpace(content[i]) || content[i] == '"' || content[i] == '\'')) {
    ++i;
  }
  const size_t start = i;
  while (i < content.size() && !IsSpace(content[i]) && content[i] != ';' && content[i] != '"' &&
         content[i] != '\'') {
    ++i;
  }
  return std::string(content.substr(start, i - start));
}

// The HTML prescan: <meta charset=...> or <meta http-equiv=content-type content=...>.
std::string MetaCharset(std::string_view body) {
  std::string head;
  for (size_t i = 0; i < body.size() && i < kPrescanBytes; ++i) head += Lower(body[i]);
  size_t pos = 0;
  while ((pos = head.find("<meta", pos)) != std::string::npos) {
    const size_t end = head.find('>', pos);
    const std::string_view tag = std::string_view(head).substr(
        pos + 5, (end == std::string::npos ? head.size() : end) - pos - 5);
    if (auto charset = TagAttribute(tag, "charset")) return LowerTrimmed(*charset);
    auto equiv = TagAttribute(tag, "http-equiv");
    auto content = TagAttribute(tag, "content");
    if (equiv && content && LowerTrimmed(*equiv) == "content-type") {
      if (std::string charset = CharsetFromContent(*content); !charset.empty()) return charset;
    }
    if (end == std::string::npos) break;
    pos = end;
  }
  return {};
}

// The encoding of an XML declaration (<?xml version="1.0" encoding="..."?>); also UTF-16
// without a BOM, recognised by the declaration's NUL bytes.
std::string XmlDeclarationCharset(std::string_view body) {
  if (body.starts_with(std::string_view("<\0?\0", 4))) return "UTF-16LE";
  if (body.starts_with(std::string_view("\0<\0?", 4))) return "UTF-16BE";
  size_t i = 0;
  while (i < body.size() && IsSpace(body[i])) ++i;
  if (body.compare(i, 5, "<?xml") != 0) return {};
  const size_t end = body.find("?>", i);
  if (end == std::string_view::npos || end - i > 512) return {};
  auto encoding = TagAttribute(body.substr(i + 5, end - i - 5), "encoding");
  return encoding ? *encoding : std::string();
}

// The first usable encoding of the hints, in order; "" when none is usable.
std::string Choose(std::initializer_list<std::string_view> hints) {
  for (std::string_view hint : hints) {
    if (hint.empty()) continue;
    std::string name = IconvName(hint);
    if (name.empty()) continue;
    if (name == "UTF-8" || Iconv(name).ok()) return name;
  }
  return {};
}

}  // namespace

bool IsKnownCharset(std::string_view label) { return !Choose({label}).empty(); }

std::string SanitizeUtf8(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  if (IsValidUtf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 16);
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

Utf8Text DecodeToUtf8(std::string_view body, std::string_view header_charset,
                      std::string_view source_encoding, Markup markup) {
  std::string charset = Choose({source_encoding});
  if (charset.empty()) {
    if (auto bom = DetectBom(body)) {
      body.remove_prefix(bom->length);
      charset = bom->charset;
    }
  }
  if (charset.empty()) charset = Choose({header_charset});
  if (charset.empty() && markup == Markup::kHtml) {
    std::string meta = MetaCharset(body);
    // A page that says UTF-16 in ASCII-compatible bytes is not UTF-16 (WHATWG).
    if (meta.starts_with("utf-16")) meta = "utf-8";
    charset = Choose({meta, XmlDeclarationCharset(body)});
  }
  if (charset.empty() && markup == Markup::kXml) charset = Choose({XmlDeclarationCharset(body)});
  if (charset.empty()) {
    charset = markup == Markup::kHtml && !IsValidUtf8(body) ? "WINDOWS-1252" : "UTF-8";
  }
  if (charset == "UTF-8") return {SanitizeUtf8(body), charset};
  Iconv converter(charset);
  if (!converter.ok()) return {SanitizeUtf8(body), "UTF-8"};
  return {SanitizeUtf8(converter.Convert(body)), charset};
}

}  // namespace tributary::merge::extract
