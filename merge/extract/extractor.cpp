// Extract and ValidateSource (extractor.hpp): picks the format, compiles the source's
// selectors and value pipelines, and runs the format's extractor into a RecordAssembler.
#include "merge/extract/extractor.hpp"

#include "merge/extract/html_extractor.hpp"
#include "merge/extract/json_extractor.hpp"
#include "merge/extract/record_assembler.hpp"
#include "merge/extract/value_pipeline.hpp"

namespace tributary::merge::extract {
namespace {

using config::Format;

bool Supported(Format format) { return format == Format::kHtml || format == Format::kJson; }

std::string NotSupported(Format format) {
  return std::string("format ") + config::FormatName(format) + " is not supported yet";
}

// For "auto" sources, the selector language the definition is written in: JSON Pointers when
// every selector is one (they all start with "/"), else CSS/XPath.
Format SelectorLanguage(const config::SourceConfig& source) {
  bool any = false;
  auto pointer_like = [&](const std::string& s) {
    if (s.empty()) return true;
    any = true;
    return s[0] == '/';
  };
  bool all = pointer_like(source.records);
  for (const auto& field : source.fields) all = pointer_like(field.select) && all;
  return any && all ? Format::kJson : Format::kHtml;
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
  for (size_t k = 0; k < source.key.size(); ++k) {
    bool found = false;
    std::string names;
    for (const auto& field : source.fields) {
      found = found || field.name == source.key[k];
      names += (names.empty() ? "" : ", ") + field.name;
    }
    if (!found) {
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

template <class Extractor>
Result<ExtractOutput> Run(const config::SourceConfig& source, const ExtractInput& input,
                          Format format, const std::string& detected) {
  std::vector<config::ConfigError> errors;
  auto extractor = Extractor::Compile(source, "source", errors);
  const auto pipelines = CompilePipelines(source, "source", errors);
  if (!errors.empty()) {
    return Error::SourceBroken(detected + "invalid source definition: " + Joined(errors));
  }
  RecordAssembler records(source, pipelines, input.final_url);
  if (Status status = extractor->Run(input, records); !status) {
    return Error{status.error().error_class, detected + status.error().message};
  }
  return std::move(records).Finish(format);
}

}  // namespace

std::vector<config::ConfigError> ValidateSource(const config::SourceConfig& source,
                                                const std::string& path_prefix) {
  std::vector<config::ConfigError> errors;
  Format language = source.format == Format::kAuto ? SelectorLanguage(source) : source.format;
  if (language == Format::kHtml) {
    HtmlExtractor::Compile(source, path_prefix, errors);
  } else if (language == Format::kJson) {
    JsonExtractor::Compile(source, path_prefix, errors);
  } else {
    errors.push_back({path_prefix + ".format", NotSupported(language)});
  }
  CompilePipelines(source, path_prefix, errors);
  CheckKey(source, path_prefix, errors);
  return errors;
}

Result<ExtractOutput> Extract(const config::SourceConfig& source, const ExtractInput& input) {
  const Format format =
      source.format == Format::kAuto ? DetectFormat(input.content_type, input.body) : source.format;
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
  if (!Supported(format)) return Error::SourceBroken(detected + NotSupported(format));
  if (format == Format::kHtml) return Run<HtmlExtractor>(source, input, format, detected);
  return Run<JsonExtractor>(source, input, format, detected);
}

}  // namespace tributary::merge::extract
