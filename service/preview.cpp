#include "service/preview.hpp"

#include "config/loader.hpp"
#include "merge/extract/extractor.hpp"
#include "merge/worker/jobs.hpp"
#include "service/component_options.hpp"

namespace tributary::service {
namespace {

using nlohmann::json;

api::PreviewResult Failure(int status, const std::string& code, const std::string& message,
                           json details = nullptr) {
  json error = {{"code", code}, {"message", message}};
  if (!details.is_null()) error["errors"] = std::move(details);
  return {status, {{"error", error}}};
}

}  // namespace

void RunPreview(const config::Config& cfg, const json& input, fetchers::Fetcher& fetcher,
                merge::pool::WorkerPool& pool, std::function<void(api::PreviewResult)> done) {
  json definition = input;
  if (!definition.contains("id")) definition["id"] = "preview";
  if (definition.contains("fields") && definition["fields"].is_object() &&
      !definition.contains("field_order")) {
    json order = json::array();
    for (const auto& [name, spec] : definition["fields"].items()) order.push_back(name);
    definition["field_order"] = order;
  }
  std::vector<config::ConfigError> errors;
  auto parsed = config::ParseSource(definition, "source", errors);
  if (parsed) {
    for (auto& e : merge::extract::ValidateSource(*parsed, "source")) errors.push_back(e);
  }
  if (!parsed || !errors.empty()) {
    json list = json::array();
    for (const auto& e : errors) list.push_back(e.ToString());
    return done(Failure(400, "invalid_definition", "the source definition has errors", list));
  }
  auto source = std::make_shared<config::SourceConfig>(std::move(*parsed));
  auto request = MakeFetchRequest(cfg, *source);
  fetcher.Fetch(std::move(request), [source, &pool, done](fetchers::FetchResult result) {
    if (result.error) {
      json details = {{"url", result.url}, {"http_status", result.status}};
      return done(Failure(502, "fetch_failed",
                          "fetching " + result.url + " failed: " + result.error->message,
                          json::array({details})));
    }
    const uint64_t bytes = result.bytes;
    const long status = result.status;
    const auto duration = result.duration.count();
    merge::pool::Job job{
        "preview",
        merge::worker::MakeExtractRequest(*source, result.content_type, result.final_url),
        std::move(result.body)};
    pool.Submit(
        std::move(job), [source, done, bytes, status, duration](merge::pool::JobOutcome outcome) {
          auto extracted = outcome.failure ? Result<merge::worker::ExtractReply>(*outcome.failure)
                                           : merge::worker::ParseExtractReply(
                                                 std::move(*outcome.reply), outcome.body);
          if (!extracted) {
            return done(Failure(422, "extraction_failed", extracted.error().message));
          }
          json records = json::array();
          json fill = json::object();
          for (const auto& f : source->fields) fill[f.name] = 0;
          for (const auto& r : extracted->records) {
            if (records.size() < kPreviewRecords) records.push_back(merge::ToJson(r));
            merge::ForEachFieldFilled(r, [&fill](std::string_view name, bool filled) {
              const auto it = fill.find(name);
              if (filled && it != fill.end()) *it = it->get<int>() + 1;
            });
          }
          const size_t total = extracted->records.size();
          json fields = json::object();
          for (const auto& [name, count] : fill.items()) {
            fields[name] = {
                {"filled", count},
                {"ratio", total == 0 ? json(nullptr) : json(count.get<double>() / double(total))}};
          }
          done({200,
                {{"fetch", {{"http_status", status}, {"bytes", bytes}, {"duration_ms", duration}}},
                 {"format", extracted->format},
                 {"record_count", total},
                 {"records", records},
                 {"records_shown", records.size()},
                 {"fill", fields},
                 {"stats", extracted->stats}}});
        });
  });
}

}  // namespace tributary::service
