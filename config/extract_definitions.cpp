#include "config/extract_definitions.hpp"

#include <algorithm>
#include <cctype>

#include "config/definitions.hpp"

namespace tributary::config {
namespace {

using nlohmann::json;

constexpr int64_t kMaxPagesLimit = 10'000;

const std::vector<std::string> kCsvKeys = {"delimiter", "quote", "header", "columns"};
const std::vector<std::string> kPaginationKeys = {"next", "link_header", "cursor", "cursor_url",
                                                  "max_pages"};
const std::vector<std::string> kLimitKeys = {"max_depth", "max_nodes", "max_records"};
const std::vector<std::string> kHealthKeys = {"max_drop", "keep_previous"};

// An XML NCName, roughly: what a namespace prefix may be.
bool IsPrefix(const std::string& s) {
  if (s.empty() || (std::isalpha(static_cast<unsigned char>(s[0])) == 0 && s[0] != '_')) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_' || c == '-' || c == '.' || c >= 0x80;
  });
}

void ParseNamespaces(const json& v, const std::string& path, JsonReader& r, SourceConfig& s) {
  if (!r.ExpectObject(v, path)) return;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string p = JoinKey(path, it.key());
    if (!IsPrefix(it.key()) || it.key() == "xml" || it.key() == "xmlns") {
      r.Error(p, "invalid namespace prefix " + Quote(it.key()) +
                     "; use letters, digits, '_', '-' or '.', starting with a letter");
      continue;
    }
    if (auto uri = r.NonEmptyString(it.value(), p)) s.extraction.namespaces[it.key()] = *uri;
  }
}

// One character, written as itself or as "tab" / "\t".
std::optional<char> SingleCharacter(const json& v, const std::string& path, JsonReader& r) {
  auto text = r.String(v, path);
  if (!text) return std::nullopt;
  if (*text == "tab" || *text == "\\t") return '\t';
  if (text->size() != 1 || (*text)[0] == '\n' || (*text)[0] == '\r') {
    r.Error(path, "expected one character (or \"tab\"), got " + Quote(*text));
    return std::nullopt;
  }
  return (*text)[0];
}

void ParseCsv(const json& v, const std::string& path, JsonReader& r, SourceConfig& s) {
  if (!r.ExpectObject(v, path)) return;
  CsvOptions& csv = s.extraction.csv;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string p = JoinKey(path, it.key());
    if (it.key() == "delimiter") {
      if (auto c = SingleCharacter(it.value(), p, r)) csv.delimiter = *c;
    } else if (it.key() == "quote") {
      if (auto c = SingleCharacter(it.value(), p, r)) csv.quote = *c;
    } else if (it.key() == "header") {
      if (auto b = r.Bool(it.value(), p)) csv.header = *b;
    } else if (it.key() == "columns") {
      if (auto names = r.StringList(it.value(), p)) csv.columns = *names;
    } else {
      r.UnknownKey(path, it.key(), kCsvKeys);
    }
  }
  if (csv.delimiter == csv.quote) {
    r.Error(JoinKey(path, "quote"), "the quote character must differ from the delimiter");
  }
}

void ParsePagination(const json& v, const std::string& path, JsonReader& r, SourceConfig& s) {
  if (!r.ExpectObject(v, path)) return;
  PaginationConfig& pages = s.extraction.pagination;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string p = JoinKey(path, it.key());
    if (it.key() == "next") {
      if (auto t = r.NonEmptyString(it.value(), p)) pages.next = *t;
    } else if (it.key() == "link_header") {
      if (auto b = r.Bool(it.value(), p)) pages.link_header = *b;
    } else if (it.key() == "cursor") {
      if (auto t = r.NonEmptyString(it.value(), p)) pages.cursor = *t;
    } else if (it.key() == "cursor_url") {
      auto t = r.NonEmptyString(it.value(), p);
      if (!t) continue;
      const size_t at = t->find("{cursor}");
      if (at == std::string::npos) {
        r.Error(p, "the URL template must contain {cursor}");
        continue;
      }
      // Built, not replace()d in place: GCC 12 warns falsely (-Wrestrict) on the inlined
      // replace (its bug 105329).
      const std::string probe = t->substr(0, at) + "x" + t->substr(at + 8);
      if (auto problem = UrlProblem(probe)) {
        r.Error(p, "invalid URL " + r.Shown(p, *t) + ": " + *problem);
        continue;
      }
      pages.cursor_url = *t;
    } else if (it.key() == "max_pages") {
      if (auto n = r.Integer(it.value(), p, 1, kMaxPagesLimit)) {
        pages.max_pages = static_cast<int>(*n);
      }
    } else {
      r.UnknownKey(path, it.key(), kPaginationKeys);
    }
  }
  if (!pages.cursor.empty() && pages.cursor_url.empty() && !v.contains("cursor_url")) {
    r.Error(JoinKey(path, "cursor"), "a cursor needs \"cursor_url\", a URL template with {cursor}");
  }
  if (pages.cursor.empty() && !pages.cursor_url.empty()) {
    r.Error(JoinKey(path, "cursor_url"), "a cursor_url needs \"cursor\", the cursor's selector");
  }
}

void ParseLimits(const json& v, const std::string& path, JsonReader& r, SourceConfig& s) {
  if (!r.ExpectObject(v, path)) return;
  ExtractLimits& limits = s.extraction.limits;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string p = JoinKey(path, it.key());
    if (it.key() == "max_depth") {
      if (auto n = r.Integer(it.value(), p, 1, 100'000))
        limits.max_depth = static_cast<uint64_t>(*n);
    } else if (it.key() == "max_nodes") {
      if (auto n = r.Integer(it.value(), p, 1, int64_t{1} << 40)) {
        limits.max_nodes = static_cast<uint64_t>(*n);
      }
    } else if (it.key() == "max_records") {
      if (auto n = r.Integer(it.value(), p, 1, int64_t{1} << 32)) {
        limits.max_records = static_cast<uint64_t>(*n);
      }
    } else {
      r.UnknownKey(path, it.key(), kLimitKeys);
    }
  }
}

// A share: a number in [0, 1] or a percentage string ("50%"); null disables.
void ParseShare(const json& v, const std::string& path, JsonReader& r, std::optional<double>& out) {
  if (v.is_null()) {
    out.reset();
    return;
  }
  double share = -1;
  if (v.is_number()) {
    share = v.get<double>();
  } else if (v.is_string()) {
    const std::string text = v.get<std::string>();
    size_t used = 0;
    try {
      if (!text.empty() && text.back() == '%') share = std::stod(text, &used) / 100.0;
    } catch (const std::exception&) {
      share = -1;
    }
    if (used + 1 != text.size()) share = -1;
  }
  if (!(share >= 0 && share <= 1)) {
    r.Error(path, "expected a share between 0 and 1 or a percentage such as \"50%\", got " +
                      (v.is_string() ? Quote(v.get<std::string>()) : v.dump()));
    return;
  }
  out = share;
}

void ParseHealth(const json& v, const std::string& path, JsonReader& r, SourceConfig& s) {
  if (!r.ExpectObject(v, path)) return;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string p = JoinKey(path, it.key());
    if (it.key() == "max_drop") {
      ParseShare(it.value(), p, r, s.extraction.health.max_drop);
    } else if (it.key() == "keep_previous") {
      if (auto b = r.Bool(it.value(), p)) s.extraction.health.keep_previous = *b;
    } else {
      r.UnknownKey(path, it.key(), kHealthKeys);
    }
  }
}

}  // namespace

const std::vector<std::string>& ExtractionSourceKeys() {
  static const std::vector<std::string> keys = {"namespaces", "encoding", "csv",
                                                "pagination", "bounds",   "health"};
  return keys;
}

const std::vector<std::string>& TransformFieldKeys() {
  static const std::vector<std::string> keys = {"collapse", "lowercase", "uppercase",  "split",
                                                "join",     "map",       "date_format"};
  return keys;
}

bool ParseExtractionKey(const std::string& key, const json& value, const std::string& path,
                        JsonReader& reader, SourceConfig& source) {
  if (key == "namespaces") {
    ParseNamespaces(value, path, reader, source);
  } else if (key == "encoding") {
    if (auto e = reader.NonEmptyString(value, path)) source.extraction.encoding = *e;
  } else if (key == "csv") {
    ParseCsv(value, path, reader, source);
  } else if (key == "pagination") {
    ParsePagination(value, path, reader, source);
  } else if (key == "bounds") {
    ParseLimits(value, path, reader, source);
  } else if (key == "health") {
    ParseHealth(value, path, reader, source);
  } else {
    return false;
  }
  return true;
}

bool ParseTransformKey(const std::string& key, const json& value, const std::string& path,
                       JsonReader& reader, FieldSpec& field) {
  FieldTransforms& t = field.transforms;
  if (key == "collapse") {
    if (auto b = reader.Bool(value, path)) t.collapse = *b;
  } else if (key == "lowercase") {
    if (auto b = reader.Bool(value, path)) t.lowercase = *b;
  } else if (key == "uppercase") {
    if (auto b = reader.Bool(value, path)) t.uppercase = *b;
  } else if (key == "split") {
    if (auto s = reader.NonEmptyString(value, path)) t.split = *s;
  } else if (key == "join") {
    if (auto s = reader.String(value, path)) t.join = *s;
  } else if (key == "map") {
    if (!reader.ExpectObject(value, path)) return true;
    for (auto it = value.begin(); it != value.end(); ++it) t.map[it.key()] = it.value();
  } else if (key == "date_format") {
    if (auto formats = reader.StringList(value, path)) t.date_formats = *formats;
  } else {
    return false;
  }
  return true;
}

std::optional<std::vector<std::string>> SourceFieldNames(const SourceConfig& source) {
  std::vector<std::string> names;
  for (const auto& f : source.fields) names.push_back(f.name);
  if (!names.empty() || !FieldsOptional(source.format)) return names;
  if (source.format == Format::kFeed) {
    return std::vector<std::string>{"id",      "title",   "link",    "published",  "updated",
                                    "authors", "summary", "content", "categories", "enclosures"};
  }
  if (source.format == Format::kCsv && !source.extraction.csv.columns.empty()) {
    return source.extraction.csv.columns;
  }
  return std::nullopt;
}

bool FieldsOptional(Format format) {
  return format == Format::kFeed || format == Format::kCsv || format == Format::kText;
}

void FinishExtraction(const std::string& path, const json* fields, bool key_given,
                      JsonReader& reader, SourceConfig& source) {
  const bool fields_given = fields != nullptr;
  for (auto& field : source.fields) {
    const std::string p = JoinKey(JoinKey(path, "fields"), field.name);
    const json* definition =
        fields != nullptr && fields->is_object() && fields->contains(field.name)
            ? &(*fields)[field.name]
            : nullptr;
    const bool object = definition != nullptr && definition->is_object();
    // "trim": false has always meant "the text as it is": keep that unless collapse is set.
    if (object && !field.trim && !definition->contains("collapse")) {
      field.transforms.collapse = false;
    }
    if (field.transforms.lowercase && field.transforms.uppercase) {
      reader.Error(JoinKey(p, "uppercase"), "a field cannot be both lowercase and uppercase");
    }
    if (!field.transforms.date_formats.empty() && field.type != ValueType::kDate) {
      reader.Error(JoinKey(p, "date_format"), "date_format needs \"type\": \"date\"");
    }
  }
  if (source.format == Format::kFeed && !key_given) {
    // Feed items always have an id (a stable one is made for items without a guid).
    const bool has_id = std::any_of(source.fields.begin(), source.fields.end(),
                                    [](const FieldSpec& f) { return f.name == "id"; });
    if (!fields_given || has_id) {
      source.key = {"id"};
    } else {
      reader.MissingKey(path, "key");
    }
  }
}

}  // namespace tributary::config
