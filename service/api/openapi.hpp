#pragma once
// The OpenAPI 3.1 description of the API: docs/openapi.json, embedded at build time (one source
// of truth), served at GET /api/v1/openapi.json.

#include <string>

namespace tributary::service::api {

const std::string& OpenApiDocument();

}  // namespace tributary::service::api
