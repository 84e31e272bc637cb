// Health, readiness, metrics and the OpenAPI description.
#include "service/api/routes.hpp"

namespace tributary::service::api {

void AddSystemRoutes(Router& router, std::shared_ptr<const ApiContext> ctx) {
  router.Add(http::verb::get, "/healthz", Access::kOpen, [](const RequestContext& r) {
    return JsonResponse(r.request, http::status::ok, {{"status", "ok"}});
  });

  router.Add(http::verb::get, "/readyz", Access::kOpen, [ctx](const RequestContext& r) {
    nlohmann::json checks = {{"store_writable", ctx->store->Writable()},
                             {"workers", ctx->workers_ready ? ctx->workers_ready() : true}};
    const bool ready = checks["store_writable"].get<bool>() && checks["workers"].get<bool>();
    nlohmann::json body = {{"status", ready ? "ready" : "not_ready"}, {"checks", checks}};
    if (!checks["store_writable"].get<bool>()) {
      body["reasons"].push_back("the store cannot write (disk full or I/O error?); see the log");
    }
    if (!checks["workers"].get<bool>()) {
      body["reasons"].push_back("no worker process can run jobs");
    }
    // Sources whose latest results could not be committed (issue 5): ingestion retries them.
    const auto runtime = ctx->runtime_status ? ctx->runtime_status() : nlohmann::json::object();
    if (auto it = runtime.find("store_errors"); it != runtime.end() && it->is_object()) {
      body["checks"]["store_commits"] = it->empty();
      for (const auto& [source, message] : it->items()) {
        body["reasons"].push_back("cannot store the results of source " + source + ": " +
                                  message.get<std::string>());
      }
      if (!it->empty()) body["status"] = "not_ready";
    }
    const bool all_ready = body["status"] == "ready";
    return JsonResponse(r.request, all_ready ? http::status::ok : http::status::service_unavailable,
                        body);
  });

  router.Add(http::verb::get, "/metrics", Access::kMetrics, [ctx](const RequestContext& r) {
    auto& registry = ctx->metrics ? *ctx->metrics : metrics::DefaultRegistry();
    return TextResponse(r.request, http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                        registry.Expose());
  });

  router.Add(http::verb::get, "/api/v1/openapi.json", Access::kOpen,
             [ctx](const RequestContext& r) {
               return TextResponse(r.request, http::status::ok, "application/json", ctx->openapi);
             });
}

}  // namespace tributary::service::api
