// Administration: refresh, pause and resume a source, reload the configuration, preview a
// source definition. Every route needs an admin token (auth.hpp).
#include "service/api/routes.hpp"

namespace tributary::service::api {
namespace {

using nlohmann::json;

Response Unavailable(const Request& request, const char* what) {
  return JsonError(request, http::status::service_unavailable, "unavailable",
                   std::string(what) + " is not available in this process");
}

}  // namespace

void AddAdminRoutes(Router& router, std::shared_ptr<const ApiContext> ctx) {
  router.Add(http::verb::post, "/api/v1/sources/{id}/refresh", Access::kAdmin,
             [ctx](const RequestContext& r) {
               const auto& id = r.path_params.at("id");
               if (!ctx->refresh) return Unavailable(r.request, "refresh");
               if (!ctx->config()->FindSource(id)) return UnknownSource(r.request, id);
               // A paused source's slots pass without fetching; accepting would mislead.
               if (ctx->source_status && ctx->source_status(id).value("paused", false)) {
                 return JsonError(r.request, http::status::conflict, "source_paused",
                                  "source \"" + id +
                                      "\" is paused; resume it (POST /api/v1/sources/" + id +
                                      "/resume) before refreshing");
               }
               if (!ctx->refresh(id)) return UnknownSource(r.request, id);
               return JsonResponse(r.request, http::status::accepted,
                                   {{"source", id}, {"refresh", "scheduled"}});
             });

  for (const bool pause : {true, false}) {
    router.Add(
        http::verb::post, std::string("/api/v1/sources/{id}/") + (pause ? "pause" : "resume"),
        Access::kAdmin, [ctx, pause](const RequestContext& r) {
          const auto& id = r.path_params.at("id");
          if (!ctx->set_paused) return Unavailable(r.request, "pausing");
          if (!ctx->config()->FindSource(id)) return UnknownSource(r.request, id);
          if (Status s = ctx->set_paused(id, pause); !s) return StoreError(r.request, s.error());
          return JsonResponse(r.request, http::status::ok, {{"source", id}, {"paused", pause}});
        });
  }

  router.Add(http::verb::post, "/api/v1/admin/reload", Access::kAdmin,
             [ctx](const RequestContext& r) {
               if (!ctx->reload) return Unavailable(r.request, "reload");
               json result = ctx->reload();
               const bool applied = result.value("applied", false);
               if (!applied) {
                 json body = {{"error",
                               {{"code", "invalid_config"},
                                {"message",
                                 "the configuration file has errors; the running "
                                 "configuration is kept"},
                                {"errors", result.value("errors", json::array())}}}};
                 return JsonResponse(r.request, http::status::unprocessable_entity, body);
               }
               return JsonResponse(r.request, http::status::ok, result);
             });

  router.AddAsync(
      http::verb::post, "/api/v1/preview", Access::kAdmin,
      [ctx](std::shared_ptr<const RequestContext> r, Respond done) {
        if (!ctx->preview) return done({Unavailable(r->request, "preview"), nullptr});
        auto definition = json::parse(r->request.body(), nullptr, false);
        if (definition.is_discarded() || !definition.is_object()) {
          return done({JsonError(r->request, http::status::bad_request, "invalid_body",
                                 "the body must be a JSON object: a source "
                                 "definition as in the configuration's sources[]"),
                       nullptr});
        }
        ctx->preview(definition, [r, done](PreviewResult result) {
          done({JsonResponse(r->request, static_cast<http::status>(result.status), result.body),
                nullptr});
        });
      });
}

}  // namespace tributary::service::api
