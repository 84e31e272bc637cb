// Extract and ValidateSource (extractor.hpp): picks the format, converts the body to UTF-8,
// compiles the source's selectors and value pipelines, and runs the format's extractor into a
// RecordAssembler.
#include "merge/extract/extractor.hpp"

#include <re2/re2.h>

#include "merge/extract/charset.hpp"
#include "merge/extract/content_type.hpp"
#include "merge/extract/csv_parser.hpp"
#include "merge/extract/feed_parser.hpp"
#include "merge/extract/json_extractor.hpp"
#include "merge/extract/markup_extractor.hpp"
#include "merge/extract/record_assembler.hpp"
#include "merge/extract/row_records.hpp"
#include "merge/extract/value_pipeline.hpp"

namespace tributary::merge::extract {
namespace {

using config::Format;

// The item members a feed source without "fields" gets, and whether their text is kept as
// written (HTML bodies keep their line breaks).
constexpr std::pair<const char*, bool> kFeedFields[] = {
    {"id", false},         {"title", false},     {"link", false},   {"published", false},
    {"updated", false},    {"authors", false},   {"summary", true}, {"content", true},
    {"categories", false}, {"enclosures", false}};

// For "auto" sources, the selector language the definition is written in: JSON selectors when
// every selector is one (they all start with "/" or "$"), else CSS/XPath.
Format SelectorLanguage(const config::SourceConfig& source) {
  bool any = false;
  auto json_like = [&](const std::string& s) {
    if (s.empty()) return true;
    any = true;
    return s[0] == '/' || s[0] == '$';
  };
  bool all = json_like(source.records);
  for (const auto& field : source.fields) all = json_like(field.select) && all;
  return any && all ? Format::kJson : Format::kHtml;
}

bool IsRowFormat(Format format) {
  return format == Format::kFeed || format == Format::kCsv || format == Format::kText;
}

// For "auto" sources whose document was detected as a feed or CSV: whether the definition is
// written for rows (no records selector; fields name item members or columns). A definition
// with a records selector or path-like fields was written for the container format instead.
Format FitDetectedFormat(const config::SourceConfig& source, Format detected,
                         std::string_view body) {
  if (detected != Format::kFeed && detected != Format::kCsv) return detected;
  bool rows = source.records.empty();
  for (const auto& field : source.fields) {
    const std::string& s = field.select;
    rows = rows && !s.starts_with('/') && !s.starts_with('$') && !s.starts_with("xpath:");
  }
  if (rows) return detected;
  if (detected == Format::kCsv) return Format::kText;
  // A feed is XML or JSON underneath.
  const size_t first = body.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  return first != std::string_view::npos && body[first] == '{' ? Format::kJson : Format::kXml;
}

config::FieldSpec ImplicitField(const std::string& name, bool raw_text) {
  config::FieldSpec f;
  f.name = name;
  f.select = name;
  if (raw_text) {
    f.trim = false;
    f.transforms.collapse = false;
  }
  return f;
}

// The source as extraction sees it: row formats without "fields" get one field per member.
config::SourceConfig WithImplicitFields(const config::SourceConfig& source, Format format,
                                        const std::vector<std::string>& members) {
  config::SourceConfig effective = source;
  if (!source.fields.empty() || !IsRowFormat(format)) return effective;
  if (format == Format::kFeed) {
    for (const auto& [name, raw] : kFeedFields)
      effective.fields.push_back(ImplicitField(name, raw));
  } else {
    for (const auto& name : members) effective.fields.push_back(ImplicitField(name, false));
  }
  return effective;
}

std::vector<ValuePipeline> CompilePipelines(const config::SourceConfig& source,
                                            const std::string& path_prefix,
                                            std::vector<config::ConfigError>& errors) {
  std::vector<ValuePipeline> pipelines;
  for (const auto& field : source.fields) {
    auto pipeline = ValuePipeline::Compile(field);
    if (!pipeline) {
      errors.push_back(
          {path_prefix + ".fields." + field.name + ".regex", pipeline.error().message});
      continue;
    }
    pipelines.push_back(std::move(*pipeline));
  }
  return pipelines;
}

void CheckKey(const config::SourceConfig& source, const std::string& path_prefix,
              std::vector<config::ConfigError>& errors) {
  if (source.fields.empty() && IsRowFormat(source.format)) return;  // columns known later
  for (size_t k = 0; k < source.key.size(); ++k) {
    bool found = false;
    std::string names;
    for (const auto& field : source.fields) {
      found = found || field.name == source.key[k];
      names += (names.empty() ? "" : ", ") + field.name;
    }
    if (!found && !(source.format == Format::kFeed && source.fields.empty())) {
      errors.push_back({path_prefix + ".key[" + std::to_string(k) + "]",
                        "unknown field \"" + source.key[k] + "\" (fields: " + names + ")"});
    }
  }
}

std::string Joined(const std::vector<config::ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) out += (out.empty() ? "" : "; ") + e.ToString();
  return out;
}

bool IsBlank(std::string_view body) {
  for (char c : body) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f') return false;
  }
  return true;
}

Markup MarkupOf(Format format) {
  if (format == Format::kHtml) return Markup::kHtml;
  if (format == Format::kXml || format == Format::kFeed) return Markup::kXml;
  return Markup::kNone;
}

// The compiled source: its (effective) definition, pipelines and format extractor.
struct Compiled {
  config::SourceConfig source;
  std::vector<ValuePipeline> pipelines;
  std::optional<MarkupExtractor> markup;
  std::optional<JsonExtractor> json;
};

Result<std::unique_ptr<Compiled>> Compile(config::SourceConfig source, Format format) {
  auto compiled = std::make_unique<Compiled>();
  compiled->source = std::move(source);
  compiled->source.format = format;
  std::vector<config::ConfigError> errors;
  const auto& s = compiled->source;
  if (format == Format::kHtml || format == Format::kXml) {
    compiled->markup = MarkupExtractor::Compile(s, MarkupOf(format), "source", errors);
  } else {
    compiled->json = JsonExtractor::Compile(s, IsRowFormat(format), "source", errors);
  }
  compiled->pipelines = CompilePipelines(s, "source", errors);
  if (!errors.empty()) {
    return Error::SourceBroken("invalid source definition: " + Joined(errors));
  }
  return compiled;
}

// Runs a row format: parse into rows, then select fields from each row.
Result<ExtractOutput> RunRows(const config::SourceConfig& source, Format format,
                              const std::string& text, const ExtractInput& input) {
  const auto& limits = source.extraction.limits;
  Rows rows;
  nlohmann::json feed_info;
  if (format == Format::kCsv) {
    auto table = ParseCsv(text, source.extraction.csv, limits.max_nodes);
    if (!table) return table.error();
    rows = CsvRows(std::move(*table), source.extraction.csv);
  } else if (format == Format::kText) {
    auto matched = TextRows(text, source.records, limits);
    if (!matched) return matched.error();
    rows = std::move(*matched);
    if (!source.records.empty() && rows.columns.size() > 1) rows.columns.pop_back();  // "match"
  } else {
    auto feed = ParseFeed(text, input.final_url, limits);
    if (!feed) return feed.error();
    for (auto& item : feed->items) rows.rows.push_back(std::move(item));
    feed_info = {
        {"kind", feed->kind},
        {"feed", std::move(feed->feed)},
        {"next", feed->next.empty() ? nlohmann::json(nullptr) : nlohmann::json(feed->next)}};
  }
  auto compiled = Compile(WithImplicitFields(source, format, rows.columns), format);
  if (!compiled) return compiled.error();
  const Compiled& c = **compiled;
  RecordAssembler records(c.source, c.pipelines, input.final_url);
  std::vector<const nlohmann::json*> pointers;
  pointers.reserve(rows.rows.size());
  for (const auto& row : rows.rows) pointers.push_back(&row);
  if (Status added = c.json->AddRows(pointers, records); !added) return added.error();
  ExtractOutput out = std::move(records).Finish(format);
  if (format == Format::kFeed) c.json->FindNext(feed_info, input, out.next_url);
  return out;
}

Result<ExtractOutput> RunFormat(const config::SourceConfig& source, Format format,
                                const std::string& text, const ExtractInput& input) {
  if (IsRowFormat(format)) return RunRows(source, format, text, input);
  auto compiled = Compile(source, format);
  if (!compiled) return compiled.error();
  const Compiled& c = **compiled;
  RecordAssembler records(c.source, c.pipelines, input.final_url);
  std::string next;
  const Status status = c.markup ? c.markup->Run(text, input, records, next)
                                 : c.json->Run(text, input, records, next);
  if (!status) return status.error();
  ExtractOutput out = std::move(records).Finish(format);
  out.next_url = std::move(next);
  return out;
}

}  // namespace

std::vector<config::ConfigError> ValidateSource(const config::SourceConfig& source,
                                                const std::string& path_prefix) {
  std::vector<config::ConfigError> errors;
  const Format language = source.format == Format::kAuto ? SelectorLanguage(source) : source.format;
  if (language == Format::kHtml || language == Format::kXml) {
    MarkupExtractor::Compile(source, MarkupOf(language), path_prefix, errors);
  } else {
    JsonExtractor::Compile(source, IsRowFormat(language), path_prefix, errors);
  }
  if (language == Format::kText && !source.records.empty()) {
    re2::RE2::Options options;
    options.set_log_errors(false);
    if (const re2::RE2 re(source.records, options); !re.ok()) {
      errors.push_back(
          {path_prefix + ".records", "invalid regex \"" + source.records + "\": " + re.error()});
    }
  }
  if ((language == Format::kCsv || language == Format::kFeed) && !source.records.empty()) {
    errors.push_back({path_prefix + ".records", std::string("a ") + config::FormatName(language) +
                                                    " source has no records selector: every " +
                                                    (language == Format::kCsv ? "row" : "item") +
                                                    " is a record"});
  }
  if (const auto& encoding = source.extraction.encoding;
      !encoding.empty() && !IsKnownCharset(encoding)) {
    errors.push_back({path_prefix + ".encoding", "unknown character set \"" + encoding + "\""});
  }
  CompilePipelines(source, path_prefix, errors);
  CheckKey(source, path_prefix, errors);
  return errors;
}

Result<ExtractOutput> Extract(const config::SourceConfig& source, const ExtractInput& input) {
  const Format format =
      source.format == Format::kAuto
          ? FitDetectedFormat(source, DetectFormat(input.content_type, input.body), input.body)
          : source.format;
  // When the format was guessed, say so: a source written for HTML that received JSON
  // otherwise fails with a puzzling selector error.
  const std::string detected =
      source.format == Format::kAuto
          ? std::string("document detected as ") + config::FormatName(format) +
                (input.content_type.empty() ? ""
                                            : " (Content-Type \"" + input.content_type + "\")") +
                ": "
          : "";
  if (IsBlank(input.body)) return Error::SourceBroken("the document is empty");
  if (format == Format::kAuto) return Error::SourceBroken("the document's format is unknown");
  Utf8Text text = DecodeToUtf8(input.body, Charset(input.content_type), source.extraction.encoding,
                               MarkupOf(format));
  auto out = RunFormat(source, format, text.text, input);
  if (!out) return Error{out.error().error_class, detected + out.error().message};
  out->charset = std::move(text.charset);
  return out;
}

}  // namespace tributary::merge::extract
