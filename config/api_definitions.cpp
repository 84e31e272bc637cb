#include "config/api_definitions.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "config/definitions.hpp"

namespace tributary::config {
namespace {

using nlohmann::json;

const std::vector<std::string> kApiKeys = {
    "tokens",     "metrics",      "cors_origins",    "max_connections",   "max_body",
    "max_header", "read_timeout", "max_page_size",   "default_page_size", "stream_buffer",
    "heartbeat",  "max_wait",     "handler_threads", "io_threads"};
const std::vector<std::string> kTokenKeys = {"token", "role"};
const std::vector<std::string> kWebhookKeys = {"id",          "url",        "secret", "views",
                                               "sources",     "headers",    "batch",  "timeout",
                                               "min_backoff", "max_backoff"};

bool HasSpaceOrControl(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7F; });
}

void ParseTokens(const json& v, const std::string& path, JsonReader& r, ApiConfig& api) {
  if (!r.ExpectArray(v, path)) return;
  std::set<std::string> seen;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string p = JoinIndex(path, i);
    if (!r.ExpectObject(v[i], p)) continue;
    ApiToken token;
    bool ok = true;
    for (auto it = v[i].begin(); it != v[i].end(); ++it) {
      const std::string kp = JoinKey(p, it.key());
      if (it.key() == "token") {
        // The value is a secret: messages never quote it.
        if (!it.value().is_string()) {
          r.Error(kp, std::string("expected a string, got ") + JsonTypeName(it.value()));
          ok = false;
          continue;
        }
        token.token = it.value().get<std::string>();
        if (token.token.size() < 16) {
          r.Error(kp,
                  "tokens must be at least 16 characters long (use a random secret, e.g. "
                  "from `openssl rand -hex 32`, through ${ENV})");
          ok = false;
        } else if (HasSpaceOrControl(token.token)) {
          r.Error(kp, "tokens must not contain spaces or control characters");
          ok = false;
        } else if (!seen.insert(token.token).second) {
          r.Error(kp, "the same token is listed twice");
          ok = false;
        }
      } else if (it.key() == "role") {
        auto role = r.Enum<TokenRole>(it.value(), kp, "role",
                                      {{"read", TokenRole::kRead}, {"admin", TokenRole::kAdmin}});
        if (role) {
          token.role = *role;
        } else {
          ok = false;
        }
      } else {
        r.UnknownKey(p, it.key(), kTokenKeys);
        ok = false;
      }
    }
    if (!v[i].contains("token")) {
      r.MissingKey(p, "token");
      ok = false;
    }
    if (!v[i].contains("role")) {
      r.MissingKey(p, "role");
      ok = false;
    }
    if (ok) api.tokens.push_back(std::move(token));
  }
}

void ParseOrigins(const json& v, const std::string& path, JsonReader& r, ApiConfig& api) {
  auto origins = r.StringList(v, path);
  if (!origins) return;
  for (size_t i = 0; i < origins->size(); ++i) {
    const std::string& o = (*origins)[i];
    const bool ok = o == "*" || ((o.rfind("http://", 0) == 0 || o.rfind("https://", 0) == 0) &&
                                 o.back() != '/' && !HasSpaceOrControl(o));
    if (!ok) {
      r.Error(v.is_array() ? JoinIndex(path, i) : path,
              "invalid origin " + Quote(o) +
                  "; expected \"*\" or scheme://host[:port] without a path, e.g. "
                  "\"https://dashboard.example.com\"");
      return;
    }
  }
  api.cors_origins = std::move(*origins);
}

void ParseWebhookHeaders(const json& v, const std::string& path, JsonReader& r, WebhookConfig& w) {
  if (!r.ExpectObject(v, path)) return;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string p = JoinKey(path, it.key());
    const bool name_ok =
        !it.key().empty() && std::all_of(it.key().begin(), it.key().end(), [](unsigned char c) {
          return std::isalnum(c) != 0 ||
                 std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
        });
    if (!name_ok) {
      r.Error(p, "invalid header name " + Quote(it.key()));
      continue;
    }
    auto value = r.String(it.value(), p);
    if (!value) continue;
    if (std::any_of(value->begin(), value->end(),
                    [](unsigned char c) { return c < 0x20 || c == 0x7F; })) {
      r.Error(p, "header values must not contain line breaks or control characters");
      continue;
    }
    w.headers.emplace_back(it.key(), std::move(*value));
  }
}

std::optional<WebhookConfig> ParseWebhook(const json& v, const std::string& path, JsonReader& r) {
  if (!r.ExpectObject(v, path)) return std::nullopt;
  const size_t before = r.error_count();
  WebhookConfig w;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string& k = it.key();
    const std::string p = JoinKey(path, k);
    const json& value = it.value();
    if (k == "id") {
      if (auto id = IdValue(value, p, r)) w.id = *id;
    } else if (k == "url") {
      if (auto url = r.NonEmptyString(value, p)) {
        auto problem = UrlProblem(*url);
        if (!problem && url->rfind("file:", 0) == 0) problem = "webhooks need an http(s) URL";
        if (problem) {
          r.Error(p, *problem);
        } else {
          w.url = *url;
        }
      }
    } else if (k == "secret") {
      if (!value.is_string()) {
        r.Error(p, std::string("expected a string, got ") + JsonTypeName(value));
      } else if (value.get<std::string>().size() < 16) {
        r.Error(p, "the signing secret must be at least 16 characters long");
      } else {
        w.secret = value.get<std::string>();
      }
    } else if (k == "views") {
      if (auto list = r.StringList(value, p)) w.views = std::move(*list);
    } else if (k == "sources") {
      if (auto list = r.StringList(value, p)) w.sources = std::move(*list);
    } else if (k == "headers") {
      ParseWebhookHeaders(value, p, r, w);
    } else if (k == "batch") {
      if (auto n = r.Integer(value, p, 1, 10000)) w.batch = static_cast<uint64_t>(*n);
    } else if (k == "timeout") {
      if (auto d = r.DurationValue(value, p, Duration(1))) w.timeout = *d;
    } else if (k == "min_backoff") {
      if (auto d = r.DurationValue(value, p, Duration(1))) w.min_backoff = *d;
    } else if (k == "max_backoff") {
      if (auto d = r.DurationValue(value, p, Duration(1))) w.max_backoff = *d;
    } else {
      r.UnknownKey(path, k, kWebhookKeys);
    }
  }
  for (const char* required : {"id", "url", "secret"}) {
    if (!v.contains(required)) r.MissingKey(path, required);
  }
  if (w.min_backoff > w.max_backoff) {
    r.Error(JoinKey(path, "min_backoff"),
            "must not be greater than max_backoff (" + FormatDuration(w.max_backoff) + ")");
  }
  if (r.error_count() != before) return std::nullopt;
  return w;
}

}  // namespace

void ParseApi(const json& v, const std::string& path, JsonReader& r, ApiConfig& api) {
  if (!r.ExpectObject(v, path)) return;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string& k = it.key();
    const std::string p = JoinKey(path, k);
    const json& value = it.value();
    if (k == "tokens") {
      ParseTokens(value, p, r, api);
    } else if (k == "metrics") {
      if (auto m = r.Enum<MetricsAccess>(value, p, "metrics access",
                                         {{"open", MetricsAccess::kOpen},
                                          {"token", MetricsAccess::kToken},
                                          {"off", MetricsAccess::kOff}})) {
        api.metrics = *m;
      }
    } else if (k == "cors_origins") {
      ParseOrigins(value, p, r, api);
    } else if (k == "max_connections") {
      if (auto n = r.Integer(value, p, 1, 1000000)) api.max_connections = *n;
    } else if (k == "max_body") {
      if (auto n = r.Size(value, p, 1024)) api.max_body = *n;
    } else if (k == "max_header") {
      if (auto n = r.Size(value, p, 1024)) api.max_header = *n;
    } else if (k == "read_timeout") {
      if (auto d = r.DurationValue(value, p, Duration(100))) api.read_timeout = *d;
    } else if (k == "max_page_size") {
      if (auto n = r.Integer(value, p, 1, 100000)) api.max_page_size = *n;
    } else if (k == "default_page_size") {
      if (auto n = r.Integer(value, p, 1, 100000)) api.default_page_size = *n;
    } else if (k == "stream_buffer") {
      if (auto n = r.Integer(value, p, 1, 1000000)) api.stream_buffer = *n;
    } else if (k == "heartbeat") {
      if (auto d = r.DurationValue(value, p, Duration(100))) api.heartbeat = *d;
    } else if (k == "max_wait") {
      if (auto d = r.DurationValue(value, p, Duration(1))) api.max_wait = *d;
    } else if (k == "handler_threads") {
      if (auto n = r.Integer(value, p, 1, 256)) api.handler_threads = static_cast<int>(*n);
    } else if (k == "io_threads") {
      if (auto n = r.Integer(value, p, 1, 64)) api.io_threads = static_cast<int>(*n);
    } else {
      r.UnknownKey(path, k, kApiKeys);
    }
  }
  if (api.metrics == MetricsAccess::kToken && api.tokens.empty()) {
    // Otherwise no scraper could ever be let in, which is never what was meant.
    r.Error(JoinKey(path, "metrics"),
            "\"token\" needs api.tokens: add a token (read or admin) for the scraper, or use "
            "\"open\" or \"off\"");
  }
  if (api.default_page_size > api.max_page_size) {
    r.Error(JoinKey(path, "default_page_size"),
            "must not be greater than max_page_size (" + std::to_string(api.max_page_size) + ")");
  }
}

void ParseWebhooks(const json& v, const std::string& path, JsonReader& r,
                   std::vector<WebhookConfig>& webhooks) {
  if (!r.ExpectArray(v, path)) return;
  std::set<std::string> ids;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string p = JoinIndex(path, i);
    auto w = ParseWebhook(v[i], p, r);
    if (!w) continue;
    if (!ids.insert(w->id).second) {
      r.Error(JoinKey(p, "id"), "duplicate webhook id " + Quote(w->id));
      continue;
    }
    webhooks.push_back(std::move(*w));
  }
}

void CheckWebhookReferences(const Config& config, JsonReader& r) {
  std::vector<std::string> views;
  std::vector<std::string> sources;
  for (const auto& v : config.views) views.push_back(v.id);
  for (const auto& s : config.sources) sources.push_back(s.id);
  for (size_t i = 0; i < config.webhooks.size(); ++i) {
    const auto& w = config.webhooks[i];
    const std::string p = JoinIndex("webhooks", i);
    for (const auto& id : w.views) {
      if (!config.FindView(id)) {
        r.Error(JoinKey(p, "views"),
                "unknown view " + Quote(id) + Suggest(id, views, "known views are"));
      }
    }
    for (const auto& id : w.sources) {
      if (!config.FindSource(id)) {
        r.Error(JoinKey(p, "sources"),
                "unknown source " + Quote(id) + Suggest(id, sources, "known sources are"));
      }
    }
  }
}

}  // namespace tributary::config
