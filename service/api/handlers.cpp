#include "service/api/handlers.hpp"

#include <charconv>

#include "common/time.hpp"
#include "config/loader.hpp"

namespace tributary::service::api {
namespace {

constexpr size_t kDefaultPageSize = 100;
constexpr size_t kMaxPageSize = 1000;

nlohmann::json FetchLogJson(const storage::FetchLog& f) {
  nlohmann::json j = {{"time", FormatRfc3339(f.started)}, {"http_status", f.http_status},
                      {"duration_ms", f.duration_ms},     {"bytes", f.bytes},
                      {"record_count", nullptr},          {"error", nullptr}};
  if (f.record_count) j["record_count"] = *f.record_count;
  if (!f.error.empty()) {
    j["error"] = f.error;
    j["error_class"] = f.error_class;
  }
  return j;
}

nlohmann::json SourceJson(const config::SourceConfig& s, storage::Store& store) {
  nlohmann::json j = {{"id", s.id},
                      {"url", s.url},
                      {"format", config::FormatName(s.format)},
                      {"every", config::FormatDuration(s.every)},
                      {"last_fetch", nullptr}};
  auto last = store.LastFetch(s.id);
  if (last && *last) j["last_fetch"] = FetchLogJson(**last);
  return j;
}

// The source definition without secrets: header values and the request body may hold
// substituted ${ENV} values (tokens), so only their presence is shown.
nlohmann::json RedactedDefinition(nlohmann::json definition) {
  if (auto it = definition.find("headers"); it != definition.end() && it->is_object()) {
    for (auto& header : it->items()) header.value() = "<redacted>";
  }
  if (auto it = definition.find("body");
      it != definition.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
    *it = "<redacted>";
  }
  return definition;
}

// Parses ?limit= (1..kMaxPageSize); on failure fills `error`.
bool ParseLimit(const RequestContext& ctx, size_t& limit, std::string& error) {
  limit = kDefaultPageSize;
  const std::string* text = ctx.Query("limit");
  if (text == nullptr) return true;
  size_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < 1 ||
      value > kMaxPageSize) {
    error = "limit: expected an integer between 1 and " + std::to_string(kMaxPageSize) +
            ", got \"" + *text + "\"";
    return false;
  }
  limit = value;
  return true;
}

Response StoreError(const RequestContext& ctx, const Error& e) {
  return JsonError(ctx.request, http::status::service_unavailable, "store_unavailable",
                   "storage read failed: " + e.message);
}

}  // namespace

std::shared_ptr<Router> MakeApiRouter(ApiContext c) {
  auto router = std::make_shared<Router>();
  auto ctx = std::make_shared<ApiContext>(std::move(c));

  router->Add(http::verb::get, "/healthz", [](const RequestContext& r) {
    return JsonResponse(r.request, http::status::ok, {{"status", "ok"}});
  });

  router->Add(http::verb::get, "/readyz", [ctx](const RequestContext& r) {
    nlohmann::json checks = {{"store_writable", ctx->store->Writable()},
                             {"workers", ctx->workers_ready ? ctx->workers_ready() : true}};
    const bool ready = checks["store_writable"].get<bool>() && checks["workers"].get<bool>();
    return JsonResponse(r.request, ready ? http::status::ok : http::status::service_unavailable,
                        {{"status", ready ? "ready" : "not_ready"}, {"checks", checks}});
  });

  router->Add(http::verb::get, "/api/v1/sources", [ctx](const RequestContext& r) {
    const auto config = ctx->config();
    nlohmann::json sources = nlohmann::json::array();
    for (const auto& s : config->sources) sources.push_back(SourceJson(s, *ctx->store));
    return JsonResponse(r.request, http::status::ok, {{"sources", sources}});
  });

  router->Add(http::verb::get, "/api/v1/sources/{id}", [ctx](const RequestContext& r) {
    const auto config = ctx->config();
    const auto& id = r.path_params.at("id");
    const auto* source = config->FindSource(id);
    if (!source) {
      return JsonError(r.request, http::status::not_found, "not_found",
                       "unknown source \"" + id + "\"");
    }
    nlohmann::json j = SourceJson(*source, *ctx->store);
    j["definition"] = RedactedDefinition(source->definition);
    return JsonResponse(r.request, http::status::ok, j);
  });

  router->Add(http::verb::get, "/api/v1/views", [ctx](const RequestContext& r) {
    const auto config = ctx->config();
    nlohmann::json views = nlohmann::json::array();
    for (const auto& v : config->views) {
      nlohmann::json sources = nlohmann::json::array();
      for (const auto& s : v.sources) sources.push_back(s.id);
      auto count = ctx->store->CountViewRecords(v.id);
      views.push_back({{"id", v.id},
                       {"sources", sources},
                       {"key", v.key},
                       {"record_count", count ? nlohmann::json(*count) : nlohmann::json()}});
    }
    return JsonResponse(r.request, http::status::ok, {{"views", views}});
  });

  router->Add(http::verb::get, "/api/v1/views/{id}/records", [ctx](const RequestContext& r) {
    const auto config = ctx->config();
    const auto& id = r.path_params.at("id");
    if (!config->FindView(id)) {
      return JsonError(r.request, http::status::not_found, "not_found",
                       "unknown view \"" + id + "\"");
    }
    size_t limit = 0;
    std::string error;
    if (!ParseLimit(r, limit, error)) {
      return JsonError(r.request, http::status::bad_request, "invalid_parameter", error);
    }
    const std::string* cursor = r.Query("cursor");
    auto page = ctx->store->ViewRecords(id, cursor ? *cursor : "", limit);
    if (!page) {
      if (page.error().error_class == ErrorClass::kPermanent) {
        return JsonError(r.request, http::status::bad_request, "invalid_parameter",
                         "cursor: " + page.error().message);
      }
      return StoreError(r, page.error());
    }
    nlohmann::json records = nlohmann::json::array();
    for (const auto& rec : page->records) records.push_back(merge::ToJson(rec));
    return JsonResponse(
        r.request, http::status::ok,
        {{"records", records},
         {"next_cursor",
          page->next_cursor.empty() ? nlohmann::json() : nlohmann::json(page->next_cursor)}});
  });

  return router;
}

}  // namespace tributary::service::api
