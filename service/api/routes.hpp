#pragma once
// The route groups MakeApiRouter assembles, one file each (internal to service/api).

#include <memory>

#include "service/api/handlers.hpp"

namespace tributary::service::api {

void AddSystemRoutes(Router& router, std::shared_ptr<const ApiContext> ctx);
void AddReadRoutes(Router& router, std::shared_ptr<const ApiContext> ctx);
void AddChangeRoutes(Router& router, std::shared_ptr<const ApiContext> ctx);
void AddAdminRoutes(Router& router, std::shared_ptr<const ApiContext> ctx);
void AddHistoryRoutes(Router& router, std::shared_ptr<const ApiContext> ctx);  // issue 5

// 503 for a storage failure.
Response StoreError(const Request& request, const Error& e);
// 404 for a source or view id the configuration does not have.
Response UnknownSource(const Request& request, const std::string& id);
Response UnknownView(const Request& request, const std::string& id);

}  // namespace tributary::service::api
