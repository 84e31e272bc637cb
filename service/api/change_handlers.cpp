// The change feed over HTTP: GET /api/v1/changes (with long-poll) and GET
// /api/v1/changes/stream (Server-Sent Events, resumable with Last-Event-ID).
#include <boost/asio/post.hpp>
#include <charconv>

#include "config/loader.hpp"
#include "service/api/change_json.hpp"
#include "service/api/routes.hpp"

namespace tributary::service::api {
namespace {

using nlohmann::json;

constexpr size_t kDefaultChanges = 100;
constexpr size_t kMaxChanges = 1000;

std::optional<int64_t> ParseSeq(const std::string& text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 0) return std::nullopt;
  return v;
}

// view= and source= (repeatable, or comma-separated), checked against the configuration.
std::optional<Response> ParseChangeFilter(const RequestContext& r, const config::Config& cfg,
                                          storage::ChangeFilter& filter) {
  for (const char* name : {"view", "source"}) {
    for (const auto& value : r.QueryAll(name)) {
      size_t start = 0;
      while (start <= value.size()) {
        size_t end = value.find(',', start);
        if (end == std::string::npos) end = value.size();
        const std::string id = value.substr(start, end - start);
        start = end + 1;
        if (id.empty()) continue;
        const bool view = std::string(name) == "view";
        if (view ? cfg.FindView(id) == nullptr : cfg.FindSource(id) == nullptr) {
          return ParameterError(r.request, name,
                                std::string("unknown ") + name + " \"" + id + "\"");
        }
        (view ? filter.views : filter.sources).push_back(id);
      }
    }
  }
  return std::nullopt;
}

json ChangesBody(const storage::ChangePage& page, int64_t latest) {
  json changes = json::array();
  for (const auto& c : page.changes) changes.push_back(ChangeToJson(c));
  return {{"changes", changes},
          {"next_since", page.scanned_to},
          {"latest", std::max(latest, page.scanned_to)}};
}

struct LongPoll {
  std::shared_ptr<const ApiContext> ctx;
  std::shared_ptr<const RequestContext> request;
  Respond done;
  int64_t since;
  size_t limit;
  storage::ChangeFilter filter;
  std::chrono::steady_clock::time_point deadline;
};

// Reads; answers when there is something, when the wait is over, or keeps waiting.
void RunLongPoll(std::shared_ptr<LongPoll> poll) {
  const auto& r = *poll->request;
  auto page = poll->ctx->store->ChangesSince(poll->since, poll->limit, poll->filter);
  if (!page) return poll->done({StoreError(r.request, page.error()), nullptr});
  const bool expired = std::chrono::steady_clock::now() >= poll->deadline;
  if (!page->changes.empty() || expired || !poll->ctx->feed) {
    return poll->done({JsonResponse(r.request, http::status::ok,
                                    ChangesBody(*page, poll->ctx->feed ? poll->ctx->feed->Latest()
                                                                       : page->scanned_to)),
                       nullptr});
  }
  // Nothing matched so far: skip what was scanned, and wait for the next commit.
  poll->since = std::max(poll->since, page->scanned_to);
  poll->ctx->feed->WaitAfter(poll->since, poll->deadline, r.blocking,
                             [poll] { RunLongPoll(poll); });
}

}  // namespace

void AddChangeRoutes(Router& router, std::shared_ptr<const ApiContext> ctx) {
  router.AddAsync(
      http::verb::get, "/api/v1/changes", Access::kRead,
      [ctx](std::shared_ptr<const RequestContext> r, Respond done) {
        const auto cfg = ctx->config();
        auto poll = std::make_shared<LongPoll>();
        poll->ctx = ctx;
        poll->request = r;
        poll->done = std::move(done);
        poll->since = 0;
        poll->limit = kDefaultChanges;
        if (const auto* since = r->Query("since")) {
          auto v = ParseSeq(*since);
          if (!v) {
            return poll->done({ParameterError(r->request, "since",
                                              "expected a change sequence number (an integer >= "
                                              "0), got \"" +
                                                  *since + "\""),
                               nullptr});
          }
          poll->since = *v;
        }
        if (const auto* limit = r->Query("limit")) {
          auto v = ParseSeq(*limit);
          if (!v || *v < 1 || *v > static_cast<int64_t>(kMaxChanges)) {
            return poll->done(
                {ParameterError(r->request, "limit",
                                "expected an integer between 1 and " + std::to_string(kMaxChanges) +
                                    ", got \"" + *limit + "\""),
                 nullptr});
          }
          poll->limit = static_cast<size_t>(*v);
        }
        std::chrono::milliseconds wait{0};
        if (const auto* text = r->Query("wait")) {
          auto d = config::ParseDuration(*text);
          if (!d) {
            if (auto seconds = ParseSeq(*text)) d = std::chrono::seconds(*seconds);
          }
          if (!d || *d > cfg->api.max_wait) {
            return poll->done({ParameterError(r->request, "wait",
                                              "expected a duration up to " +
                                                  config::FormatDuration(cfg->api.max_wait) +
                                                  " (e.g. \"30s\"), got \"" + *text + "\""),
                               nullptr});
          }
          wait = *d;
        }
        if (auto error = ParseChangeFilter(*r, *cfg, poll->filter)) {
          return poll->done({std::move(*error), nullptr});
        }
        poll->deadline = std::chrono::steady_clock::now() + wait;
        RunLongPoll(poll);
      });

  router.AddAsync(
      http::verb::get, "/api/v1/changes/stream", Access::kRead,
      [ctx](std::shared_ptr<const RequestContext> r, Respond done) {
        const auto cfg = ctx->config();
        // Where to start: Last-Event-ID (a reconnecting EventSource), else ?since=, else now.
        int64_t after = ctx->feed ? ctx->feed->Latest() : 0;
        const std::string last_event_id(r->request["Last-Event-ID"]);
        const std::string* since = r->Query("since");
        if (!last_event_id.empty() || since != nullptr) {
          const std::string& text = !last_event_id.empty() ? last_event_id : *since;
          auto v = ParseSeq(text);
          if (!v) {
            return done(
                {ParameterError(r->request, !last_event_id.empty() ? "Last-Event-ID" : "since",
                                "expected a change sequence number, got \"" + text + "\""),
                 nullptr});
          }
          after = *v;
        }
        storage::ChangeFilter filter;
        if (auto error = ParseChangeFilter(*r, *cfg, filter)) {
          return done({std::move(*error), nullptr});
        }
        if (!ctx->feed) {
          return done({JsonError(r->request, http::status::service_unavailable, "unavailable",
                                 "the change feed is not running"),
                       nullptr});
        }
        Response header{http::status::ok, r->request.version()};
        header.set(http::field::content_type, "text/event-stream; charset=utf-8");
        header.set(http::field::cache_control, "no-cache");
        header.set("X-Accel-Buffering", "no");  // tell proxies not to buffer the stream
        done({std::move(header),
              ctx->feed->Subscribe(after, std::move(filter), cfg->api.stream_buffer)});
      });
}

}  // namespace tributary::service::api
