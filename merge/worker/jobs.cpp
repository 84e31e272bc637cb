#include "merge/worker/jobs.hpp"

#include <algorithm>

#include "common/json_parse.hpp"
#include "common/json_text.hpp"
#include "common/packed_text.hpp"
#include "common/time.hpp"
#include "config/loader.hpp"
#include "merge/combine/merge_job.hpp"
#include "merge/combine/view_merger.hpp"

namespace tributary::merge::worker {
namespace {

std::string Joined(const std::vector<config::ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += "; ";
    out += e.ToString();
  }
  return out;
}

JobReply Extract(const nlohmann::json& meta, std::string_view body) {
  std::vector<config::ConfigError> errors;
  auto source = config::ParseSource(meta.at("source"), "source", errors);
  if (!source) return ErrorReply("source_broken", "invalid source definition: " + Joined(errors));
  extract::ExtractInput input;
  input.body = body;
  input.content_type = meta.value("content_type", "");
  input.final_url = meta.value("final_url", source->url);
  auto out = extract::Extract(*source, input);
  if (!out) return ErrorReply(ErrorClassName(out.error().error_class), out.error().message);
  JobReply reply;
  reply.body = PackRecords(out->records);
  const auto& s = out->stats;
  reply.meta = {{"ok", true},
                {"format", config::FormatName(out->format)},
                {"charset", out->charset},
                {"next_url", out->next_url},
                {"record_count", out->records.size()},
                {"stats",
                 {{"candidates", s.candidates},
                  {"dropped_missing_required", s.dropped_missing_required},
                  {"dropped_missing_key", s.dropped_missing_key},
                  {"duplicate_keys", s.duplicate_keys},
                  {"filled", s.filled},
                  {"invalid", s.invalid}}}};
  return reply;
}

JobReply Merge(const nlohmann::json& meta) {
  std::vector<config::ConfigError> errors;
  auto view = config::ParseView(meta.at("view"), "view", errors);
  if (!view) return ErrorReply("source_broken", "invalid view definition: " + Joined(errors));
  std::vector<SourceSnapshot> inputs;
  for (const auto& in : meta.at("inputs")) {
    SourceSnapshot s;
    s.source_id = in.at("source").get<std::string>();
    s.fetched_at = FromUnixMillis(in.value("fetched_at", int64_t{0}));
    for (const auto& r : in.at("records")) s.records.push_back(RecordFromJson(r));
    inputs.push_back(std::move(s));
  }
  combine::MergeStats stats;
  const auto merged = combine::MergeView(*view, inputs, &stats);
  nlohmann::json records = nlohmann::json::array();
  for (const auto& r : merged) records.push_back(ToJson(r));
  JobReply reply;
  reply.meta = {{"ok", true},
                {"records", std::move(records)},
                {"stats",
                 {{"records_without_key", stats.records_without_key},
                  {"duplicate_keys", stats.duplicate_keys}}}};
  return reply;
}

// merge/combine/merge_job.hpp describes the body and the reply.
JobReply MergeKeys(const nlohmann::json& meta, std::string_view body) {
  std::vector<config::ConfigError> errors;
  auto view = config::ParseView(meta.at("view"), "view", errors);
  if (!view) return ErrorReply("source_broken", "invalid view definition: " + Joined(errors));
  auto reply = combine::RunMergeJob(*view, body);
  if (!reply) return ErrorReply(ErrorClassName(reply.error().error_class), reply.error().message);
  return JobReply{{{"ok", true}, {"results", reply->results}}, std::move(reply->body)};
}

Error ReplyError(const nlohmann::json& reply) {
  const auto& e = reply.value("error", nlohmann::json::object());
  const std::string cls = e.value("class", "source_broken");
  const std::string message = e.value("message", "worker reported an error");
  if (cls == "retryable") return Error::Retryable(message);
  if (cls == "permanent") return Error::Permanent(message);
  return Error::SourceBroken(message);
}

}  // namespace

JobReply HandleJob(const nlohmann::json& meta, std::string_view body) {
  const std::string job = meta.value("job", "");
  if (job == "extract") return Extract(meta, body);
  if (job == "merge") return Merge(meta);
  if (job == "merge_keys") return MergeKeys(meta, body);
  if (job == "ping") return JobReply{{{"ok", true}}, {}};
  return ErrorReply("permanent", "unknown job \"" + job + "\"");
}

std::string MakeExtractRequest(const config::SourceConfig& source, std::string_view content_type,
                               std::string_view final_url) {
  std::string text;
  text.reserve(source.definition.size() + content_type.size() + final_url.size() + 64);
  JsonTextWriter out(text);
  text += R"({"content_type":)";
  out.String(content_type);
  text += R"(,"final_url":)";
  out.String(final_url);
  text += R"(,"job":"extract","source":)";
  text += source.definition.empty() ? std::string_view("null") : source.definition;
  text += '}';
  return text;
}

nlohmann::json MakeMergeRequest(const config::ViewConfig& view,
                                const std::vector<SourceSnapshot>& inputs) {
  nlohmann::json in = nlohmann::json::array();
  for (const auto& s : inputs) {
    nlohmann::json records = nlohmann::json::array();
    for (const auto& r : s.records) records.push_back(ToJson(r));
    in.push_back({{"source", s.source_id},
                  {"fetched_at", ToUnixMillis(s.fetched_at)},
                  {"records", std::move(records)}});
  }
  return {{"job", "merge"}, {"view", view.definition}, {"inputs", std::move(in)}};
}

std::optional<Error> JobError(const nlohmann::json& reply) {
  if (reply.value("ok", false)) return std::nullopt;
  return ReplyError(reply);
}

std::string PackRecords(const std::vector<Record>& records) {
  std::string packed;
  PackedWriter out(packed);
  std::string text;
  for (const auto& r : records) {
    text.clear();
    JsonTextWriter(text).String(r.key);  // a JSON string: invalid UTF-8 replaced
    out.Text(text);
    text.clear();
    JsonTextWriter(text).Value(r.fields);
    out.Text(text);
  }
  out.Flush();
  return packed;
}

Result<ExtractReply> ParseExtractReply(nlohmann::json&& reply, std::string_view records) {
  if (!reply.value("ok", false)) return ReplyError(reply);
  ExtractReply out;
  out.format = reply.value("format", "");
  out.next_url = reply.value("next_url", "");
  // The worker's output is our own: anything malformed is a protocol fault, not the source's.
  const auto fault = [&out](const std::string& what) {
    return Error::Permanent("worker protocol: record " + std::to_string(out.records.size()) +
                            " of the extract reply " + what);
  };
  const auto count = reply.find("record_count");
  if (count == reply.end() || !count->is_number_integer() || count->get<int64_t>() < 0) {
    return Error::Permanent("worker protocol: the extract reply has no record_count");
  }
  const auto expected = static_cast<size_t>(count->get<int64_t>());
  // A record takes 8 bytes at least ("2:\"\"2:{}"): a count the body cannot hold is not
  // reserved for.
  out.records.reserve(std::min(expected, records.size() / 8));
  PackedReader in(records);
  nlohmann::json key;
  std::string error;
  while (!in.done()) {
    std::string_view key_text, fields_text;
    if (!in.Text(key_text) || !in.Text(fields_text)) return fault("is cut short or malformed");
    if (!ParseJson(key_text, key, &error) || !key.is_string()) {
      return fault("has no key string" + (error.empty() ? std::string() : ": " + error));
    }
    // Kept as the record's canonical text, so it must be exactly that: an object's text with
    // nothing around it (ValidateJson would also take whitespace, or a NUL and whatever
    // follows). Validated, not parsed: the daemon reads a record into a tree only when it
    // changed (most of a page fetched again has not).
    if (!ValidateJson(fields_text, &error) || fields_text.front() != '{' ||
        fields_text.back() != '}' || fields_text.find('\0') != std::string_view::npos) {
      return fault("has no object of fields" + (error.empty() ? std::string() : ": " + error));
    }
    Record r;
    r.key = std::move(key.get_ref<std::string&>());
    r.fields = nlohmann::json(nlohmann::json::value_t::discarded);
    SetFieldsText(r, fields_text);
    out.records.push_back(std::move(r));
  }
  if (out.records.size() != expected) {
    return Error::Permanent("worker protocol: the extract reply has " +
                            std::to_string(out.records.size()) + " records instead of " +
                            std::to_string(expected));
  }
  if (auto it = reply.find("stats"); it != reply.end()) {
    out.stats = std::move(*it);
  } else {
    out.stats = nlohmann::json::object();
  }
  return out;
}

Result<std::vector<MergedRecord>> ParseMergeReply(const nlohmann::json& reply) {
  if (!reply.value("ok", false)) return ReplyError(reply);
  std::vector<MergedRecord> out;
  for (const auto& r : reply.at("records")) out.push_back(MergedRecordFromJson(r));
  return out;
}

}  // namespace tributary::merge::worker
