#pragma once
// `tributary healthcheck`: GET /healthz on the daemon named by a configuration's `listen`
// (a wildcard address means loopback), for container HEALTHCHECKs without curl in the image.
// Returns the process exit status: 0 healthy, 1 not.

#include <string>

#include "config/config.hpp"

namespace tributary::service {

int RunHealthcheck(const config::ListenAddress& listen);

}  // namespace tributary::service
