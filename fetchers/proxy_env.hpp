#pragma once
// The proxy a URL goes through when its source names none: the standard environment variables,
// read the way libcurl reads them. The fetch engine decides this itself instead of leaving it to
// libcurl, so that it knows whether a connection goes to a proxy (the address guard then judges
// the target's name, not the proxy's address, which is usually a private one).
// Thread safety: pure functions (`env` must be safe to call from the calling thread).

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tributary::fetchers {

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;

// The process environment.
std::optional<std::string> ProcessEnv(const char* name);

// The variables ProxyForUrl reads, as the process environment had them when first asked (it
// does not change while the daemon runs; getenv scans every variable, per transfer).
const EnvLookup& ProcessProxyEnv();

// The proxy URL for `url`, or "" for a direct connection. The scheme's variable (`http_proxy`
// — lower case only, as in curl, because a CGI program gets HTTP_PROXY from a request header —,
// `https_proxy`/`HTTPS_PROXY`), else `all_proxy`/`ALL_PROXY`; none when `no_proxy`/`NO_PROXY`
// is "*" or lists the URL's host, one of its parent domains (".example.com" or "example.com"),
// or its IP literal.
std::string ProxyForUrl(std::string_view url, const EnvLookup& env);

// Whether `host` is one no request may reach through a proxy when private networks are not
// allowed: an IP literal in a private range, or "localhost" (and names under ".localhost").
bool IsPrivateHostName(std::string_view host);

}  // namespace tributary::fetchers
