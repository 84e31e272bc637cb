// Merge results and history (issue 5): one record of a view (now or as of a time) and its
// history, the view's conflicts and its coverage by source, and a source record's history.
#include <charconv>

#include "common/time.hpp"
#include "service/api/change_json.hpp"
#include "service/api/routes.hpp"

namespace tributary::service::api {
namespace {

using nlohmann::json;

constexpr size_t kDefaultLimit = 100;
constexpr size_t kMaxLimit = 1000;

// ?limit= (1..kMaxLimit) or the default; nullopt after filling `error`.
std::optional<size_t> Limit(const RequestContext& r, std::optional<Response>& error) {
  const std::string* text = r.Query("limit");
  if (text == nullptr) return kDefaultLimit;
  size_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < 1 || value > kMaxLimit) {
    error = ParameterError(r.request, "limit",
                           "expected an integer between 1 and " + std::to_string(kMaxLimit) +
                               ", got \"" + *text + "\"");
    return std::nullopt;
  }
  return value;
}

std::optional<Response> MissingView(const RequestContext& r, const config::Config& config,
                                    const std::string& id) {
  if (config.FindView(id) != nullptr) return std::nullopt;
  return UnknownView(r.request, id);
}

json HistoryJson(const std::vector<storage::Change>& changes) {
  json out = json::array();
  for (const auto& c : changes) {
    json j = ChangeToJson(c);
    j["fields"] = c.fields;
    out.push_back(std::move(j));
  }
  return out;
}

// "a,b" -> {"a","b"} (empty items dropped).
std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Records no view key can be made of (the key field missing or empty after normalisers): in no
// merged record, so coverage lists them per source, by their own keys (the first 1000 in all).
json WithoutKeyJson(const config::ViewConfig& view, const storage::ViewCoverage& coverage) {
  json out = json::object();
  for (const auto& ref : view.sources) {
    auto n = coverage.without_key.find(ref.id);
    out[ref.id] = {{"records", n == coverage.without_key.end() ? 0 : n->second},
                   {"keys", json::array()}};
  }
  for (const auto& k : coverage.keyless) {
    if (out.contains(k.source_id)) out[k.source_id]["keys"].push_back(k.key);
  }
  return out;
}

}  // namespace

void AddHistoryRoutes(Router& router, std::shared_ptr<const ApiContext> ctx) {
  // One merged record; ?as_of=RFC3339 reads it as it was then (from its history).
  router.Add(
      http::verb::get, "/api/v1/views/{id}/records/{key}", Access::kRead,
      [ctx](const RequestContext& r) {
        const auto& id = r.path_params.at("id");
        const auto& key = r.path_params.at("key");
        if (auto e = MissingView(r, *ctx->config(), id)) return *e;
        Result<std::optional<merge::MergedRecord>> record = std::optional<merge::MergedRecord>();
        json extra = json::object();
        if (const std::string* as_of = r.Query("as_of")) {
          auto when = ParseRfc3339(*as_of);
          if (!when) {
            return ParameterError(
                r.request, "as_of",
                "expected an RFC 3339 time such as 2026-01-31T12:00:00Z, got \"" + *as_of + "\"");
          }
          record = ctx->store->ViewRecordAsOf(id, key, *when);
          extra["as_of"] = FormatRfc3339(*when);
        } else {
          record = ctx->store->ViewRecord(id, key);
        }
        if (!record) return StoreError(r.request, record.error());
        if (!*record) {
          return JsonError(
              r.request, http::status::not_found, "not_found",
              "view \"" + id + "\" has no record \"" + key + "\"" +
                  (extra.contains("as_of") ? " as of " + extra["as_of"].get<std::string>() +
                                                 " (or its history was pruned)"
                                           : ""));
        }
        json body = merge::ToJson(**record);
        body.update(extra);
        return JsonResponse(r.request, http::status::ok, body);
      });

  router.Add(http::verb::get, "/api/v1/views/{id}/records/{key}/history", Access::kRead,
             [ctx](const RequestContext& r) {
               const auto& id = r.path_params.at("id");
               const auto& key = r.path_params.at("key");
               if (auto e = MissingView(r, *ctx->config(), id)) return *e;
               std::optional<Response> error;
               auto limit = Limit(r, error);
               if (!limit) return *error;
               auto changes = ctx->store->RecordHistory(id, "", key, *limit);
               if (!changes) return StoreError(r.request, changes.error());
               return JsonResponse(
                   r.request, http::status::ok,
                   {{"view", id}, {"key", key}, {"changes", HistoryJson(*changes)}});
             });

  router.Add(http::verb::get, "/api/v1/sources/{id}/records/{key}/history", Access::kRead,
             [ctx](const RequestContext& r) {
               const auto& id = r.path_params.at("id");
               const auto& key = r.path_params.at("key");
               if (ctx->config()->FindSource(id) == nullptr) {
                 return UnknownSource(r.request, id);
               }
               std::optional<Response> error;
               auto limit = Limit(r, error);
               if (!limit) return *error;
               auto changes = ctx->store->RecordHistory("", id, key, *limit);
               if (!changes) return StoreError(r.request, changes.error());
               return JsonResponse(
                   r.request, http::status::ok,
                   {{"source", id}, {"key", key}, {"changes", HistoryJson(*changes)}});
             });

  // The records whose sources disagree, with each source's value.
  router.Add(http::verb::get, "/api/v1/views/{id}/conflicts", Access::kRead,
             [ctx](const RequestContext& r) {
               const auto& id = r.path_params.at("id");
               if (auto e = MissingView(r, *ctx->config(), id)) return *e;
               std::optional<Response> error;
               auto limit = Limit(r, error);
               if (!limit) return *error;
               const std::string* cursor = r.Query("cursor");
               auto page = ctx->store->ViewConflicts(id, cursor ? *cursor : "", *limit);
               if (!page) {
                 if (page.error().error_class == ErrorClass::kPermanent) {
                   return ParameterError(r.request, "cursor", page.error().message);
                 }
                 return StoreError(r.request, page.error());
               }
               json records = json::array();
               for (const auto& rec : page->records) {
                 json j = merge::ToJson(rec);
                 records.push_back({{"key", rec.key},
                                    {"conflicts", j["conflicts"]},
                                    {"fields", j["fields"]},
                                    {"provenance", j["provenance"]}});
               }
               return JsonResponse(
                   r.request, http::status::ok,
                   {{"view", id},
                    {"records", records},
                    {"next_cursor", page->next_cursor.empty() ? json() : json(page->next_cursor)}});
             });

  // How many keys each combination of sources has. ?keys=true adds up to `limit` keys per
  // combination; ?sources=a,b lists (and pages through, with ?after=) the keys of exactly those.
  router.Add(http::verb::get, "/api/v1/views/{id}/coverage", Access::kRead,
             [ctx](const RequestContext& r) {
               const auto config = ctx->config();
               const auto& id = r.path_params.at("id");
               if (auto e = MissingView(r, *config, id)) return *e;
               const auto* view = config->FindView(id);
               std::optional<Response> error;
               auto limit = Limit(r, error);
               if (!limit) return *error;
               if (const std::string* wanted = r.Query("sources")) {
                 const auto sources = SplitList(*wanted);
                 for (const auto& s : sources) {
                   bool known = false;
                   for (const auto& ref : view->sources) known = known || ref.id == s;
                   if (!known) {
                     return ParameterError(r.request, "sources",
                                           "\"" + s + "\" is not a source of view \"" + id + "\"");
                   }
                 }
                 // In the view's order, as coverage rows list them.
                 std::vector<std::string> ordered;
                 for (const auto& ref : view->sources) {
                   if (std::find(sources.begin(), sources.end(), ref.id) != sources.end()) {
                     ordered.push_back(ref.id);
                   }
                 }
                 const std::string* after = r.Query("after");
                 auto keys = ctx->store->CoverageKeys(id, ordered, after ? *after : "", *limit);
                 if (!keys) return StoreError(r.request, keys.error());
                 return JsonResponse(
                     r.request, http::status::ok,
                     {{"view", id},
                      {"sources", ordered},
                      {"keys", *keys},
                      {"next_after", keys->size() == *limit ? json(keys->back()) : json()}});
               }
               auto coverage = ctx->store->Coverage(id);
               if (!coverage) return StoreError(r.request, coverage.error());
               const std::string* with_keys = r.Query("keys");
               const bool list_keys =
                   with_keys != nullptr && (*with_keys == "true" || *with_keys == "1");
               json combinations = json::array();
               for (const auto& row : coverage->combinations) {
                 json j = {{"sources", row.sources}, {"keys", row.keys}};
                 if (list_keys) {
                   auto keys = ctx->store->CoverageKeys(id, row.sources, "", *limit);
                   if (!keys) return StoreError(r.request, keys.error());
                   j["key_list"] = *keys;
                   j["complete"] = keys->size() >= row.keys;
                 }
                 combinations.push_back(std::move(j));
               }
               json per_source = json::object();
               for (const auto& ref : view->sources) per_source[ref.id] = 0;
               for (const auto& row : coverage->combinations) {
                 for (const auto& s : row.sources) {
                   if (per_source.contains(s))
                     per_source[s] = per_source[s].get<uint64_t>() + row.keys;
                 }
               }
               json duplicates = json::array();
               for (const auto& d : coverage->duplicates) {
                 duplicates.push_back({{"key", d.key}, {"records", d.duplicates}});
               }
               return JsonResponse(r.request, http::status::ok,
                                   {{"view", id},
                                    {"keys", coverage->keys},
                                    {"per_source", per_source},
                                    {"combinations", combinations},
                                    {"duplicates", duplicates},
                                    {"without_key", WithoutKeyJson(*view, *coverage)}});
             });
}

}  // namespace tributary::service::api
