// Following changes through real HTTP: the SSE stream (resume with Last-Event-ID, heartbeats,
// filters, a slow client dropped with the event that says where to resume) and webhooks
// (signature checked by a receiver, redelivery after the receiver fails, the delivery cursor
// kept across a restart), plus a pause that survives a restart.
#include <openssl/hmac.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <set>

#include "tests/integration/api_sse_client.hpp"
#include "tests/integration/api_test_util.hpp"

namespace tributary::testing {
namespace {

using nlohmann::json;

const std::string kAdmin = "admin-token-0123456789abcdef";
const std::string kSecret = "webhook-secret-0123456789";

class ApiStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    origin_.Route("/bulk.json", [this](const test_support::RecordedRequest&) {
      return test_support::Response{200, {{"Content-Type", "application/json"}}, BulkBody()};
    });
  }

  // `items_` records from number `first_` on, whose price follows `version_`: every version
  // changes every record.
  std::string BulkBody() const {
    json items = json::array();
    const int version = version_.load();
    for (int i = first_.load(); i < first_.load() + items_; ++i) {
      char id[32];
      std::snprintf(id, sizeof id, "item-%03d", i);
      items.push_back({{"id", id},
                       {"title", "Item number " + std::to_string(i) + " of the bulk source"},
                       {"price", i + version * 1000}});
    }
    return json{{"items", items}}.dump();
  }

  json Config() {
    return {{"listen", "127.0.0.1:0"},
            {"data_dir", dir_.path() + "/data"},
            {"log", {{"level", "debug"}}},
            {"fetch", {{"allow_private_networks", true}, {"startup_spread", "0s"}}},
            {"workers", {{"processes", 1}}},
            {"api", {{"tokens", {{{"token", kAdmin}, {"role", "admin"}}}}}},
            {"sources",
             {{{"id", "bulk"},
               {"url", origin_.Url("/bulk.json")},
               {"every", "1h"},
               {"format", "json"},
               {"records", "/items"},
               {"key", "id"},
               {"fields",
                {{"id", "/id"},
                 {"title", "/title"},
                 {"price", {{"select", "/price"}, {"type", "number"}}}}}}}},
            {"views", {{{"id", "all"}, {"sources", {"bulk"}}, {"key", "id"}}}}};
  }

  std::unique_ptr<DaemonProcess> Start(const json& config) {
    std::string error;
    auto d = DaemonProcess::Start(dir_.path(), config, &error);
    EXPECT_NE(d, nullptr) << error;
    return d;
  }

  static HttpReply Admin(const DaemonProcess& d, const std::string& method,
                         const std::string& path) {
    return HttpRequest(method, d.base_url() + path, {}, {"Authorization: Bearer " + kAdmin});
  }

  static int64_t Latest(const DaemonProcess& d) {
    auto reply = d.Get("/api/v1/changes?limit=1");
    return reply.status == 200 ? reply.Json()["latest"].get<int64_t>() : -1;
  }

  // Waits until the change history reaches at least `seq`.
  static bool WaitForLatest(const DaemonProcess& d, int64_t seq) {
    return WaitUntil([&] { return Latest(d) >= seq; });
  }

  // Changes every record (a new version fetched on a manual refresh) and waits until the
  // resulting changes (one per record of the source and one per record of the view) are
  // committed. Returns the latest sequence number then.
  int64_t ChangeEverything(const DaemonProcess& d) {
    const int64_t before = Latest(d);
    ++version_;
    auto refresh = Admin(d, "POST", "/api/v1/sources/bulk/refresh");
    EXPECT_EQ(refresh.status, 202) << refresh.body;
    EXPECT_TRUE(WaitForLatest(d, before + 2 * items_)) << d.Log();
    return Latest(d);
  }

  static std::vector<int64_t> Ids(const std::vector<SseEvent>& events) {
    std::vector<int64_t> ids;
    for (const auto& e : events) {
      if (e.event == "change") ids.push_back(std::stoll(e.id));
    }
    return ids;
  }

  static void ExpectConsecutive(const std::vector<int64_t>& ids, int64_t first) {
    for (size_t i = 0; i < ids.size(); ++i) {
      ASSERT_EQ(ids[i], first + static_cast<int64_t>(i)) << "event " << i;
    }
  }

  TempDir dir_;
  test_support::TestOrigin origin_;
  std::atomic<int> version_{1};
  std::atomic<int> first_{0};
  int items_ = 20;
};

TEST_F(ApiStreamTest, StreamResumesWithLastEventIdAndSendsHeartbeats) {
  auto config = Config();
  config["api"]["heartbeat"] = "200ms";
  auto d = Start(config);
  ASSERT_TRUE(d);
  ASSERT_TRUE(WaitForLatest(*d, 2 * items_)) << d->Log();
  const int64_t initial = Latest(*d);

  // From the start of the history: a few events, then the client goes away.
  {
    SseClient first(d->base_url(), "/api/v1/changes/stream?since=0");
    ASSERT_TRUE(first.connected());
    ASSERT_TRUE(first.ReadEvents(5)) << first.received();
    EXPECT_NE(first.Header().find("HTTP/1.1 200"), std::string::npos) << first.Header();
    EXPECT_NE(first.Header().find("text/event-stream"), std::string::npos);
    auto events = first.Events();
    ExpectConsecutive(Ids(events), 1);
    const auto data = json::parse(events[0].data);
    EXPECT_EQ(data["seq"], 1);
    EXPECT_EQ(data["op"], "added");
  }

  // A reconnecting EventSource sends the last id it saw: the stream continues right after it,
  // through the stored history and then live.
  SseClient resumed(d->base_url(), "/api/v1/changes/stream", {"Last-Event-ID: 5"});
  ASSERT_TRUE(resumed.ReadUntil([&](const std::string&) {
    auto ids = Ids(resumed.Events());
    return !ids.empty() && ids.back() >= initial;
  })) << resumed.received();
  ExpectConsecutive(Ids(resumed.Events()), 6);
  const int64_t latest = ChangeEverything(*d);
  ASSERT_TRUE(resumed.ReadUntil([&](const std::string&) {
    auto ids = Ids(resumed.Events());
    return !ids.empty() && ids.back() >= latest;
  })) << resumed.received();
  ExpectConsecutive(Ids(resumed.Events()), 6);
  EXPECT_EQ(Ids(resumed.Events()).back(), latest);
  // Idle now: heartbeat comments keep the connection alive.
  EXPECT_TRUE(resumed.ReadUntil(
      [](const std::string& text) { return text.find(": heartbeat\n\n") != std::string::npos; }));

  // Filtered by view: only the view's changes, still with their global ids.
  SseClient view(d->base_url(), "/api/v1/changes/stream?since=0&view=all");
  ASSERT_TRUE(view.ReadEvents(static_cast<size_t>(2 * items_))) << view.received();
  for (const auto& e : view.Events()) EXPECT_EQ(json::parse(e.data)["view"], "all") << e.data;

  // A bad Last-Event-ID is a 400 naming it.
  auto bad = HttpRequest("GET", d->base_url() + "/api/v1/changes/stream", {},
                         {"Last-Event-ID: yesterday"});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Json()["error"]["parameter"], "Last-Event-ID");
}

TEST_F(ApiStreamTest, SlowClientIsDroppedWithTheEventThatSaysWhereToResume) {
  items_ = 100;  // each version: 200 change events, about 50 KiB
  auto config = Config();
  config["api"]["stream_buffer"] = 20;
  auto d = Start(config);
  ASSERT_TRUE(d);
  ASSERT_TRUE(WaitForLatest(*d, 2 * items_)) << d->Log();
  const int64_t start = Latest(*d);

  // A client with a tiny receive buffer that stops reading after the response header.
  SseClient slow(d->base_url(), "/api/v1/changes/stream?since=" + std::to_string(start), {}, 4096);
  ASSERT_TRUE(slow.ReadUntil(
      [](const std::string& text) { return text.find("\r\n\r\n") != std::string::npos; }));
  // Changes keep coming while it does not read, until the daemon gives up on it (a counter in
  // /metrics says so).
  auto overflows = [&] {
    const std::string metrics = d->Get("/metrics").body;
    const std::string name = "tributary_api_stream_overflows_total ";
    const auto at = metrics.find("\n" + name);
    return at == std::string::npos ? 0.0 : std::stod(metrics.substr(at + 1 + name.size()));
  };
  int64_t latest = start;
  ASSERT_TRUE(WaitUntil([&] {
    latest = ChangeEverything(*d);
    return overflows() >= 1;
  })) << "the slow client was never dropped";

  // What it reads now ends with the overflow event, which names the last change it was sent.
  ASSERT_TRUE(slow.ReadToEnd()) << "the daemon did not close the stream";
  const auto events = slow.Events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event, "overflow");
  const auto overflow = json::parse(events.back().data);
  const int64_t resume_after = overflow["resume_after"];
  const auto ids = Ids(events);
  ASSERT_FALSE(ids.empty());
  ExpectConsecutive(ids, start + 1);
  EXPECT_EQ(ids.back(), resume_after);
  EXPECT_LT(resume_after, latest);

  // Resuming from there loses nothing: every later change arrives, in order, once.
  SseClient again(d->base_url(), "/api/v1/changes/stream",
                  {"Last-Event-ID: " + std::to_string(resume_after)});
  ASSERT_TRUE(again.ReadUntil([&](const std::string&) {
    auto got = Ids(again.Events());
    return !got.empty() && got.back() >= latest;
  })) << again.received().size();
  ExpectConsecutive(Ids(again.Events()), resume_after + 1);
}

TEST_F(ApiStreamTest, CursorPagesStayExactWhileTheViewChanges) {
  auto d = Start(Config());
  ASSERT_TRUE(d);
  ASSERT_TRUE(WaitForLatest(*d, 2 * items_)) << d->Log();
  // Pages of 4 by key and by title; between pages every price changes and the window of
  // records moves on by 2 (two removed at the start, two added at the end).
  for (const std::string sort : {"key", "title"}) {
    std::vector<std::string> seen;
    std::set<std::string> always;  // present from the first page to the last
    auto ids = [](const HttpReply& reply) {
      std::vector<std::string> out;
      const auto body = reply.Json();
      for (const auto& r : body["records"]) out.push_back(r["key"]);
      return out;
    };
    const auto first_page = d->Get("/api/v1/views/all/records?limit=1000");
    for (const auto& id : ids(first_page)) always.insert(id);
    std::string next = "/api/v1/views/all/records?limit=4&sort=" + sort;
    for (int page = 0; page < 50 && !next.empty(); ++page) {
      auto reply = d->Get(next);
      ASSERT_EQ(reply.status, 200) << reply.body;
      for (const auto& id : ids(reply)) seen.push_back(id);
      const auto cursor = reply.Json()["next_cursor"];
      next = cursor.is_null() ? ""
                              : "/api/v1/views/all/records?limit=4&sort=" + sort +
                                    "&cursor=" + cursor.get<std::string>();
      if (page % 2 == 0) {
        first_ += 2;
        ChangeEverything(*d);
      }
    }
    std::set<std::string> now;
    for (const auto& id : ids(d->Get("/api/v1/views/all/records?limit=1000"))) now.insert(id);
    std::erase_if(always, [&](const std::string& id) { return !now.count(id); });
    ASSERT_FALSE(always.empty());
    std::map<std::string, int> times;
    for (const auto& id : seen) ++times[id];
    for (const auto& [id, n] : times) EXPECT_EQ(n, 1) << sort << ": " << id << " repeated";
    for (const auto& id : always) EXPECT_EQ(times[id], 1) << sort << ": " << id << " lost";
  }
}

// The receiver's side of the documented signature check: HMAC-SHA256 over "<t>.<body>".
bool SignatureValid(const std::string& header, const std::string& body) {
  const auto t_at = header.find("t=");
  const auto v_at = header.find(",v1=");
  if (t_at != 0 || v_at == std::string::npos) return false;
  const std::string timestamp = header.substr(2, v_at - 2);
  const std::string signed_text = timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac,
       &length);
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", mac[i]);
    hex += byte;
  }
  const auto age = std::chrono::system_clock::now().time_since_epoch() -
                   std::chrono::seconds(std::stoll(timestamp));
  return header.substr(v_at + 4) == hex && age < std::chrono::minutes(5);
}

// What a webhook receiver got: every change seq of the accepted (2xx) deliveries.
struct Receiver {
  std::mutex mu;
  std::vector<int64_t> accepted;  // seqs, in delivery order
  int requests = 0;
  int bad_signatures = 0;
  int fail_next = 0;  // answer 503 to this many requests first
};

TEST_F(ApiStreamTest, WebhooksAreSignedRedeliveredAndResumeAfterARestart) {
  auto receiver = std::make_shared<Receiver>();
  // More failures than the fetch engine's attempts for one POST: the dispatcher retries too.
  receiver->fail_next = 5;
  test_support::TestOrigin hooks;
  hooks.Route("/hook", [receiver](const test_support::RecordedRequest& r) {
    std::lock_guard lock(receiver->mu);
    ++receiver->requests;
    if (!SignatureValid(r.Header("tributary-signature"), r.body)) {
      ++receiver->bad_signatures;
      return test_support::Response{401, {}, "bad signature"};
    }
    if (receiver->fail_next > 0) {
      --receiver->fail_next;
      return test_support::Response{503, {}, "busy"};
    }
    const auto body = json::parse(r.body);
    for (const auto& c : body["changes"]) receiver->accepted.push_back(c["seq"]);
    return test_support::Response{204, {}, ""};
  });
  auto config = Config();
  config["webhooks"] = {{{"id", "audit"},
                         {"url", hooks.Url("/hook")},
                         {"secret", kSecret},
                         {"views", {"all"}},
                         {"batch", 7},
                         {"min_backoff", "50ms"},
                         {"max_backoff", "200ms"}}};
  auto accepted = [&] {
    std::lock_guard lock(receiver->mu);
    return receiver->accepted;
  };
  // The view's changes: the seqs of the history filtered by view.
  auto view_seqs = [](const DaemonProcess& d) {
    auto reply = d.Get("/api/v1/changes?view=all&since=0&limit=1000");
    std::vector<int64_t> seqs;
    const auto body = reply.Json();
    for (const auto& c : body["changes"]) seqs.push_back(c["seq"]);
    return seqs;
  };

  int64_t delivered_before_restart = 0;
  {
    auto d = Start(config);
    ASSERT_TRUE(d);
    ASSERT_TRUE(WaitForLatest(*d, 2 * items_)) << d->Log();
    // Five 503s, then every view change arrives, in order, in signed batches of at most 7.
    ASSERT_TRUE(WaitUntil([&] { return accepted().size() >= static_cast<size_t>(items_); }))
        << d->Log();
    EXPECT_EQ(accepted(), view_seqs(*d));
    {
      std::lock_guard lock(receiver->mu);
      EXPECT_EQ(receiver->bad_signatures, 0);
      EXPECT_EQ(receiver->fail_next, 0);
      EXPECT_GE(receiver->requests, 5 + (items_ + 6) / 7);
    }
    EXPECT_NE(d->Log().find("webhook=audit delivery failed"), std::string::npos) << d->Log();
    EXPECT_EQ(d->Log().find(kSecret), std::string::npos);  // secrets never logged
    for (const auto& r : hooks.Requests()) {
      EXPECT_EQ(r.method, "POST");
      EXPECT_EQ(r.Header("content-type"), "application/json");
      EXPECT_EQ(r.Header("tributary-webhook"), "audit");
      EXPECT_LE(json::parse(r.body)["changes"].size(), 7u);
    }
    delivered_before_restart = accepted().back();
    ASSERT_TRUE(d->Terminate().has_value());
  }

  // Restarted on the same data: delivery resumes after the stored cursor — nothing delivered
  // again, and the changes made after the restart arrive.
  const size_t count_before = accepted().size();
  auto d = Start(config);
  ASSERT_TRUE(d);
  const int64_t latest = ChangeEverything(*d);
  ASSERT_TRUE(WaitUntil([&] { return accepted().size() >= count_before + items_; })) << d->Log();
  const auto all = accepted();
  EXPECT_EQ(all, view_seqs(*d));
  EXPECT_GT(all[count_before], delivered_before_restart);
  EXPECT_LE(all.back(), latest);
}

// A receiver that accepts every signed POST: the seqs it was sent, in order.
void Accept(test_support::TestOrigin& hooks, std::shared_ptr<Receiver> receiver) {
  hooks.Route("/hook", [receiver](const test_support::RecordedRequest& r) {
    std::lock_guard lock(receiver->mu);
    ++receiver->requests;
    if (!SignatureValid(r.Header("tributary-signature"), r.body)) {
      ++receiver->bad_signatures;
      return test_support::Response{401, {}, "bad signature"};
    }
    const auto body = json::parse(r.body);  // a local: a temporary's member would dangle
    for (const auto& c : body["changes"]) receiver->accepted.push_back(c["seq"]);
    return test_support::Response{204, {}, ""};
  });
}

// A webhook on a fresh database whose receiver is down from the start: its cursor is 0 (not
// "none"), so after a restart it still starts at seq 1, and once the receiver is up every
// change arrives, in order, none skipped.
TEST_F(ApiStreamTest, AWebhookWhoseReceiverWasDownFromTheStartGetsEverythingAfterARestart) {
  const uint16_t port = test_support::TestOrigin::ClosedPort();  // refused until the receiver runs
  auto config = Config();
  config["webhooks"] = {{{"id", "audit"},
                         {"url", "http://127.0.0.1:" + std::to_string(port) + "/hook"},
                         {"secret", kSecret},
                         {"batch", 7},
                         {"min_backoff", "50ms"},
                         {"max_backoff", "200ms"}}};
  int64_t latest = 0;
  {
    auto d = Start(config);
    ASSERT_TRUE(d);
    ASSERT_TRUE(WaitForLatest(*d, 2 * items_)) << d->Log();
    ASSERT_TRUE(WaitUntil([&] {
      return d->Log().find("webhook=audit delivery failed") != std::string::npos;
    })) << d->Log();
    latest = Latest(*d);
    ASSERT_TRUE(d->Terminate().has_value());
  }
  auto d = Start(config);
  ASSERT_TRUE(d);
  auto receiver = std::make_shared<Receiver>();
  test_support::TestOrigin hooks(port);
  Accept(hooks, receiver);
  auto accepted = [&] {
    std::lock_guard lock(receiver->mu);
    return receiver->accepted;
  };
  ASSERT_TRUE(WaitUntil([&] {
    const auto got = accepted();
    return !got.empty() && got.back() >= latest;
  })) << d->Log();
  std::vector<int64_t> expected;
  for (int64_t seq = 1; seq <= latest; ++seq) expected.push_back(seq);
  auto got = accepted();
  got.resize(std::min(got.size(), expected.size()));
  EXPECT_EQ(got, expected);
  std::lock_guard lock(receiver->mu);
  EXPECT_EQ(receiver->bad_signatures, 0);
}

// History retention gives way to delivery: what a webhook has not delivered is not pruned (the
// log says which webhook holds it), and once delivered it is pruned as configured.
TEST_F(ApiStreamTest, PruningKeepsChangesAWebhookHasNotDelivered) {
  const uint16_t port = test_support::TestOrigin::ClosedPort();
  auto config = Config();
  config["history"] = {{"max_versions", 1}, {"prune_every", "1s"}};
  config["webhooks"] = {{{"id", "audit"},
                         {"url", "http://127.0.0.1:" + std::to_string(port) + "/hook"},
                         {"secret", kSecret},
                         {"batch", 50},
                         {"min_backoff", "50ms"},
                         {"max_backoff", "200ms"}}};
  auto d = Start(config);
  ASSERT_TRUE(d);
  ASSERT_TRUE(WaitForLatest(*d, 2 * items_)) << d->Log();
  const int64_t latest = ChangeEverything(*d);  // every record now has two versions
  auto history_size = [&] {
    return d->Get("/api/v1/changes?since=0&limit=1000").Json()["changes"].size();
  };
  // Two more pruning rounds that saw the undelivered backlog: the first one has finished.
  const std::string held = "history pruning keeps changes after seq 0: webhook=audit";
  auto rounds = [&] {
    const std::string log = d->Log();
    size_t n = 0;
    for (auto at = log.find(held); at != std::string::npos; at = log.find(held, at + 1)) ++n;
    return n;
  };
  const size_t before = rounds();
  ASSERT_TRUE(WaitUntil([&] { return rounds() >= before + 2; })) << d->Log();
  EXPECT_EQ(history_size(), static_cast<size_t>(latest));

  auto receiver = std::make_shared<Receiver>();
  test_support::TestOrigin hooks(port);
  Accept(hooks, receiver);
  ASSERT_TRUE(WaitUntil([&] {
    std::lock_guard lock(receiver->mu);
    return !receiver->accepted.empty() && receiver->accepted.back() >= latest;
  })) << d->Log();
  {
    std::lock_guard lock(receiver->mu);
    ASSERT_GE(receiver->accepted.size(), static_cast<size_t>(latest));
    for (int64_t seq = 1; seq <= latest; ++seq) EXPECT_EQ(receiver->accepted[seq - 1], seq);
  }
  // Delivered: now the older version of every record goes.
  EXPECT_TRUE(WaitUntil([&] { return history_size() == static_cast<size_t>(latest / 2); }))
      << history_size() << "\n"
      << d->Log();
}

TEST_F(ApiStreamTest, APausedSourceStaysPausedAfterARestart) {
  auto config = Config();
  size_t fetches = 0;
  {
    auto d = Start(config);
    ASSERT_TRUE(d);
    ASSERT_TRUE(WaitForLatest(*d, 2 * items_)) << d->Log();
    auto pause = Admin(*d, "POST", "/api/v1/sources/bulk/pause");
    ASSERT_EQ(pause.status, 200) << pause.body;
    EXPECT_EQ(pause.Json()["paused"], true);
    // A refresh of a paused source is refused rather than silently skipped.
    auto refresh = Admin(*d, "POST", "/api/v1/sources/bulk/refresh");
    EXPECT_EQ(refresh.status, 409);
    EXPECT_EQ(refresh.Json()["error"]["code"], "source_paused");
    fetches = origin_.Hits("/bulk.json");
    ASSERT_TRUE(d->Terminate().has_value());
  }
  auto d = Start(config);
  ASSERT_TRUE(d);
  auto bulk = d->Get("/api/v1/sources/bulk").Json();
  EXPECT_EQ(bulk["paused"], true) << bulk.dump();
  EXPECT_TRUE(bulk["paused_since"].is_string());
  // Its start-up slot passes without a fetch; resumed, it is fetched again.
  ASSERT_TRUE(WaitUntil([&] {
    auto s = d->Get("/api/v1/sources/bulk").Json();
    return s["schedule"].is_object() && s["schedule"]["reason"] != "startup";
  })) << d->Get("/api/v1/sources/bulk").body;
  EXPECT_EQ(origin_.Hits("/bulk.json"), fetches);
  ASSERT_EQ(Admin(*d, "POST", "/api/v1/sources/bulk/resume").status, 200);
  ASSERT_EQ(Admin(*d, "POST", "/api/v1/sources/bulk/refresh").status, 202);
  EXPECT_TRUE(origin_.WaitForHits("/bulk.json", fetches + 1));
  EXPECT_EQ(d->Get("/api/v1/sources/bulk").Json()["paused"], false);
}

}  // namespace
}  // namespace tributary::testing
