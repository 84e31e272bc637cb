#include "service/api/handlers.hpp"

#include "service/api/routes.hpp"

namespace tributary::service::api {

std::shared_ptr<Router> MakeApiRouter(ApiContext c) {
  auto ctx = std::make_shared<const ApiContext>(std::move(c));
  RouterPolicy policy;
  policy.access = [ctx] { return AccessPolicy::From(ctx->config()->api); };
  policy.cors_origins = [ctx] { return ctx->config()->api.cors_origins; };
  auto router = std::make_shared<Router>(std::move(policy));
  AddSystemRoutes(*router, ctx);
  AddReadRoutes(*router, ctx);
  AddChangeRoutes(*router, ctx);
  AddAdminRoutes(*router, ctx);
  AddHistoryRoutes(*router, ctx);
  return router;
}

Response StoreError(const Request& request, const Error& e) {
  return JsonError(request, http::status::service_unavailable, "store_unavailable",
                   "storage read failed: " + e.message);
}

Response UnknownSource(const Request& request, const std::string& id) {
  return JsonError(request, http::status::not_found, "not_found", "unknown source \"" + id + "\"");
}

Response UnknownView(const Request& request, const std::string& id) {
  return JsonError(request, http::status::not_found, "not_found", "unknown view \"" + id + "\"");
}

}  // namespace tributary::service::api
