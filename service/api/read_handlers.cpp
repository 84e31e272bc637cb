// Reading: sources (with the explanation of one), views, and the records of both with filters,
// sort, projection, cursor pagination and JSON / NDJSON / CSV output.
#include <algorithm>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <functional>
#include <map>
#include <set>
#include <utility>

#include "common/time.hpp"
#include "config/definitions.hpp"
#include "config/loader.hpp"
#include "merge/record.hpp"
#include "service/api/http_util.hpp"
#include "service/api/record_format.hpp"
#include "service/api/record_query.hpp"
#include "service/api/response_cache.hpp"
#include "service/api/routes.hpp"
#include "service/storage/view_cursor.hpp"

namespace tributary::service::api {
namespace {

using nlohmann::json;

// Fetches listed when a source is explained.
constexpr size_t kExplainedFetches = 10;

json FetchLogJson(const storage::FetchLog& f) {
  json j = {{"time", FormatRfc3339(f.started)}, {"http_status", f.http_status},
            {"duration_ms", f.duration_ms},     {"bytes", f.bytes},
            {"record_count", nullptr},          {"error", nullptr}};
  if (f.record_count) j["record_count"] = *f.record_count;
  if (!f.error.empty()) {
    j["error"] = f.error;
    j["error_class"] = f.error_class;
  }
  return j;
}

// A source as listed, with its last fetch (null: none, or the log could not be read).
json SourceJson(const config::SourceConfig& s, const storage::FetchLog* last) {
  json j = {{"id", s.id},
            {"url", s.url},
            {"format", config::FormatName(s.format)},
            {"every", config::FormatDuration(s.every)},
            {"last_fetch", nullptr}};
  if (last != nullptr) j["last_fetch"] = FetchLogJson(*last);
  return j;
}

json SourceJson(const config::SourceConfig& s, storage::Store& store) {
  auto last = store.LastFetch(s.id);
  return SourceJson(s, last && *last ? &**last : nullptr);
}

// The source definition without secrets: header values and the request body may hold
// substituted ${ENV} values (tokens), so only their presence is shown.
json RedactedDefinition(json definition) {
  if (auto it = definition.find("headers"); it != definition.end() && it->is_object()) {
    for (auto& header : it->items()) header.value() = "<redacted>";
  }
  if (auto it = definition.find("body");
      it != definition.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
    *it = "<redacted>";
  }
  definition.erase(config::kFieldOrderKey);
  return definition;
}

// Per field: how many of the records have a non-null, non-empty value.
json FillCounts(const merge::SourceSnapshot& snapshot, const config::SourceConfig& source) {
  std::map<std::string, size_t, std::less<>> counts;
  for (const auto& f : source.fields) counts[f.name] = 0;
  for (const auto& r : snapshot.records) {
    merge::ForEachFieldFilled(r, [&counts](std::string_view name, bool filled) {
      if (auto it = counts.find(name); filled && it != counts.end()) ++it->second;
    });
  }
  json fill = json::object();
  for (const auto& f : source.fields) {
    const size_t filled = counts[f.name];
    const size_t total = snapshot.records.size();
    fill[f.name] = {{"filled", filled},
                    {"ratio", total == 0 ? json(nullptr) : json(double(filled) / total)}};
  }
  return fill;
}

json ExplainSource(const config::SourceConfig& s, const ApiContext& ctx) {
  // The stored snapshot is read before the fetch log: a fetch's log and snapshot are committed
  // together, so read in this order the last fetch shown is never older than the records
  // shown (the other way round, a commit between the reads showed new records beside the
  // fetch before them). The last fetch is the first of the recent ones: one read, which
  // cannot disagree with itself.
  auto snapshot = ctx.store->LoadSnapshot(s.id);
  auto recent = ctx.store->RecentFetches(s.id, kExplainedFetches);
  json j = SourceJson(s, recent && !recent->empty() ? &recent->front() : nullptr);
  j["definition"] = RedactedDefinition(json::parse(s.definition));
  json fetches = json::array();
  json errors = json::array();
  if (recent) {
    for (const auto& f : *recent) {
      fetches.push_back(FetchLogJson(f));
      if (!f.error.empty()) errors.push_back(FetchLogJson(f));
    }
  }
  j["recent_fetches"] = fetches;
  j["recent_errors"] = errors;
  // What the store holds for the source: its records and how well each field is filled.
  json stored = {{"records", nullptr}, {"fetched_at", nullptr}, {"fields", json::object()}};
  if (snapshot && !snapshot->records.empty()) {
    stored["records"] = snapshot->records.size();
    stored["fetched_at"] = FormatRfc3339(snapshot->fetched_at);
    stored["fields"] = FillCounts(*snapshot, s);
  }
  j["stored"] = stored;
  if (ctx.source_status) {
    // Held in a local: items() of a temporary would dangle in the range-for (before C++23).
    const json status = ctx.source_status(s.id);
    for (auto& [k, v] : status.items()) j[k] = v;
  }
  return j;
}

// The field names a view's records can have (what each source provides, renamed), in the order
// of the view's sources and their fields.
std::vector<std::string> ViewFields(const config::Config& cfg, const config::ViewConfig& v) {
  std::vector<std::string> out;
  auto add = [&out](const std::string& name) {
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  for (const auto& ref : v.sources) {
    const auto* source = cfg.FindSource(ref.id);
    if (source == nullptr) continue;
    std::set<std::string> consumed;
    for (const auto& f : source->fields) {
      bool renamed = false;
      for (const auto& [view_field, source_field] : ref.fields) {
        if (source_field == f.name) {
          add(view_field);
          renamed = true;
        }
      }
      // A source field whose name a rename claims for another field is not visible as itself.
      if (!renamed && !ref.fields.count(f.name)) add(f.name);
    }
    for (const auto& [view_field, source_field] : ref.fields) add(view_field);
  }
  return out;
}

std::vector<std::string> SourceFields(const config::SourceConfig& s) {
  std::vector<std::string> out;
  for (const auto& f : s.fields) out.push_back(f.name);
  return out;
}

// Builds the response for a record listing: query parameters, query, format.
// Where ServeRecords reads records from: every record (then filtered, sorted and paged here),
// and, when the store can, one page of records in key order with the total count.
struct RecordSource {
  std::function<Result<std::vector<json>>()> all;
  // (key after which to start, or empty; page size) -> records and whether more follow.
  std::function<Result<std::pair<std::vector<json>, bool>>(const std::string&, size_t)> key_range;
  std::function<Result<uint64_t>()> count;
};

Response ServeRecords(const RequestContext& r, const config::Config& config,
                      const RecordSource& source, const std::vector<std::string>& fields) {
  const auto& api = config.api;
  const auto format = ChooseRecordFormat(r.Query("format"), r.request[http::field::accept]);
  if (!format.format) {
    if (format.status == 406) {
      return JsonError(r.request, http::status::not_acceptable, "not_acceptable", format.error);
    }
    return ParameterError(r.request, "format", format.error.substr(format.error.find(':') + 2));
  }
  RecordQuery query;
  const std::set<std::string> known(fields.begin(), fields.end());
  if (auto e = ParseRecordQuery(r.QueryAll("filter"), r.Query("sort"), r.Query("fields"),
                                r.Query("limit"), r.Query("cursor"), known,
                                {api.default_page_size, api.max_page_size}, query)) {
    return ParameterError(r.request, e->parameter, e->message);
  }
  // Records in key order, unfiltered (the common case): read only the page, not the view.
  std::vector<json> records;
  QueryPage page;
  if (IsKeyRange(query) && source.key_range && source.count) {
    const std::string after = query.after ? query.after->back().get<std::string>() : "";
    auto range = source.key_range(after, query.limit);
    if (!range) return StoreError(r.request, range.error());
    auto count = source.count();
    if (!count) return StoreError(r.request, count.error());
    records = std::move(range->first);
    for (const auto& rec : records) page.records.push_back(&rec);
    page.matched = *count;
    if (range->second && !records.empty()) {
      page.next_cursor = EncodeCursor(query, {}, records.back().value("key", ""));
    }
  } else {
    auto all = source.all();
    if (!all) return StoreError(r.request, all.error());
    records = std::move(all).value();
    page = RunRecordQuery(query, records);
  }
  std::vector<json> out;
  out.reserve(page.records.size());
  for (const auto* rec : page.records) out.push_back(Project(query, *rec));
  std::vector<std::string> columns = fields;
  if (query.fields) columns = *query.fields;
  Response response = TextResponse(r.request, http::status::ok, ContentTypeOf(*format.format),
                                   RenderRecords(*format.format, out, page.next_cursor, columns));
  response.set("X-Total-Count", std::to_string(page.matched));
  if (page.next_cursor) {
    response.set("X-Next-Cursor", *page.next_cursor);
    // The same request with the cursor replaced.
    std::string next = r.path + "?";
    for (const auto& [k, v] : r.query) {
      if (k == "cursor") continue;
      next += boost::urls::encode(k, boost::urls::unreserved_chars) + "=" +
              boost::urls::encode(v, boost::urls::unreserved_chars) + "&";
    }
    next += "cursor=" + *page.next_cursor;
    response.set(http::field::link, "<" + next + ">; rel=\"next\"");
  }
  return response;
}

// Records (source or merged) as the API shows them.
template <typename Record>
std::vector<json> RecordsJson(const std::vector<Record>& records) {
  std::vector<json> out;
  out.reserve(records.size());
  for (const auto& rec : records) out.push_back(merge::ToJson(rec));
  return out;
}

// Rendered record pages kept until the next commit or reload (response_cache.hpp).
constexpr size_t kResponseCacheBytes = 64 << 20;

// What a records response depends on besides the stored data and the configuration: the path,
// the query parameters (decoded, each length-prefixed so no two requests share a key) and Accept.
std::string CacheKey(const RequestContext& r) {
  std::string key = r.path;
  auto add = [&key](std::string_view part) {
    key += '\x1f';
    key += std::to_string(part.size());
    key += ':';
    key += part;
  };
  for (const auto& [name, value] : r.query) {
    add(name);
    add(value);
  }
  add(r.request[http::field::accept]);
  return key;
}

// The response cached under `key`, made the answer to `request`.
std::optional<Response> Lookup(ResponseCache& cache, const std::string& key, uint64_t generation,
                               const void* config, const Request& request) {
  auto hit = cache.Find(key, generation, config);
  if (hit) {
    hit->version(request.version());
    hit->keep_alive(request.keep_alive());
  }
  return hit;
}

// The cached response when the store has not committed since it was rendered under the
// configuration in force; nullopt when there is none. Never blocks: routes peek with it.
std::optional<Response> FindCached(const RequestContext& r, const ApiContext& ctx,
                                   ResponseCache& cache) {
  const auto generation = ctx.store->CommittedGeneration();
  if (!generation) return std::nullopt;
  return Lookup(cache, CacheKey(r), *generation, ctx.config().get(), r.request);
}

// The cached response, or `render` (kept, with its ETag computed once, when it is a 200).
Response Cached(const RequestContext& r, const ApiContext& ctx, ResponseCache& cache,
                const std::shared_ptr<const config::Config>& config,
                const std::function<Response()>& render) {
  const auto generation = ctx.store->CommittedGeneration();  // before reading: see store.hpp
  if (!generation) return render();
  const std::string key = CacheKey(r);
  if (auto hit = Lookup(cache, key, *generation, config.get(), r.request)) return std::move(*hit);
  Response response = render();
  if (response.result() == http::status::ok) {
    response.set(http::field::etag, EntityTag(response.body()));
    cache.Store(key, *generation, config, response);
  }
  return response;
}

}  // namespace

void AddReadRoutes(Router& router, std::shared_ptr<const ApiContext> ctx) {
  auto cache = std::make_shared<ResponseCache>(kResponseCacheBytes, "pages");
  router.Add(http::verb::get, "/api/v1/sources", Access::kRead, [ctx](const RequestContext& r) {
    const auto config = ctx->config();
    json sources = json::array();
    for (const auto& s : config->sources) {
      json j = SourceJson(s, *ctx->store);
      if (ctx->source_status) {
        const json status = ctx->source_status(s.id);
        for (const char* k : {"paused", "schedule"}) {
          if (status.contains(k)) j[k] = status[k];
        }
      }
      sources.push_back(std::move(j));
    }
    return JsonResponse(r.request, http::status::ok, {{"sources", sources}});
  });

  router.Add(http::verb::get, "/api/v1/sources/{id}", Access::kRead,
             [ctx](const RequestContext& r) {
               const auto config = ctx->config();
               const auto& id = r.path_params.at("id");
               const auto* source = config->FindSource(id);
               if (!source) {
                 return UnknownSource(r.request, id);
               }
               return JsonResponse(r.request, http::status::ok, ExplainSource(*source, *ctx));
             });

  router.Add(
      http::verb::get, "/api/v1/sources/{id}/records", Access::kRead,
      [ctx, cache](const RequestContext& r) {
        const auto config = ctx->config();
        const auto& id = r.path_params.at("id");
        const auto* source = config->FindSource(id);
        if (!source) {
          return UnknownSource(r.request, id);
        }
        RecordSource records;
        records.all = [&]() -> Result<std::vector<json>> {
          auto snapshot = ctx->store->LoadSnapshot(id);
          if (!snapshot) return snapshot.error();
          return RecordsJson(snapshot->records);
        };
        return Cached(r, *ctx, *cache, config,
                      [&] { return ServeRecords(r, *config, records, SourceFields(*source)); });
      },
      [ctx, cache](const RequestContext& r) { return FindCached(r, *ctx, *cache); });

  router.Add(http::verb::get, "/api/v1/views", Access::kRead, [ctx](const RequestContext& r) {
    const auto config = ctx->config();
    json views = json::array();
    for (const auto& v : config->views) {
      json sources = json::array();
      for (const auto& s : v.sources) sources.push_back(s.id);
      auto count = ctx->store->CountViewRecords(v.id);
      views.push_back({{"id", v.id},
                       {"sources", sources},
                       {"key", v.key},
                       {"fields", ViewFields(*config, v)},
                       {"record_count", count ? json(*count) : json()}});
    }
    return JsonResponse(r.request, http::status::ok, {{"views", views}});
  });

  router.Add(
      http::verb::get, "/api/v1/views/{id}/records", Access::kRead,
      [ctx, cache](const RequestContext& r) {
        const auto config = ctx->config();
        const auto& id = r.path_params.at("id");
        const auto* view = config->FindView(id);
        if (!view) {
          return UnknownView(r.request, id);
        }
        RecordSource records;
        // Every record of the view, read in store pages (one consistent query each).
        records.all = [&]() -> Result<std::vector<json>> {
          std::vector<json> out;
          std::string cursor;
          do {
            auto page = ctx->store->ViewRecords(id, cursor, 1000);
            if (!page) return page.error();
            for (auto& rec : RecordsJson(page->records)) out.push_back(std::move(rec));
            cursor = page->next_cursor;
          } while (!cursor.empty());
          return out;
        };
        records.key_range = [&](const std::string& after,
                                size_t limit) -> Result<std::pair<std::vector<json>, bool>> {
          auto page = ctx->store->ViewRecords(
              id, after.empty() ? "" : storage::EncodeViewCursor(after), limit);
          if (!page) return page.error();
          return std::make_pair(RecordsJson(page->records), !page->next_cursor.empty());
        };
        records.count = [&] { return ctx->store->CountViewRecords(id); };
        return Cached(r, *ctx, *cache, config, [&] {
          return ServeRecords(r, *config, records, ViewFields(*config, *view));
        });
      },
      [ctx, cache](const RequestContext& r) { return FindCached(r, *ctx, *cache); });
}

}  // namespace tributary::service::api
