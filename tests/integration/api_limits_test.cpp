// The API's edges through real HTTP: what curl sends unescaped, CORS, size limits (413, 431), a
// slowloris client, the connection limit (503), /readyz when the store cannot write or no worker
// can run, /metrics behind a token, and a long-poll woken by a change.
#include <signal.h>
#include <sys/resource.h>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "common/time.hpp"
#include "tests/integration/api_test_util.hpp"
#include "tests/integration/raw_client.hpp"

namespace tributary::testing {
namespace {

using nlohmann::json;
using test_support::Response;

const std::string kRead = "read-token-0123456789abcdef";
const std::string kAdmin = "admin-token-0123456789abcdef";

std::vector<std::string> Bearer(const std::string& token) {
  return {"Authorization: Bearer " + token};
}

std::vector<std::string> Keys(const json& body) {
  std::vector<std::string> keys;
  for (const auto& r : body["records"]) keys.push_back(r["key"]);
  return keys;
}

// The processes whose parent is `parent` (the daemon's workers).
std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> out;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return out;
  while (dirent* e = ::readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    // Plain read(2): a process that exits between readdir and read makes the read fail with
    // ESRCH, which an ifstream turns into an exception; such a process is simply not a child.
    const int fd =
        ::open(("/proc/" + std::string(e->d_name) + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char buf[512];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (n <= 0) continue;
    const std::string stat(buf, static_cast<size_t>(n));
    // "pid (comm) state ppid ...": comm may hold spaces, so parse after its closing ')'.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) out.push_back(pid);
  }
  ::closedir(proc);
  return out;
}

class ApiLimitsTest : public ApiTestBase {
 protected:
  json Config() { return ApiExampleConfig(origin_, dir_.path() + "/data"); }
  json TokenConfig() {
    auto config = Config();
    config["api"]["tokens"] = {{{"token", kRead}, {"role", "read"}},
                               {{"token", kAdmin}, {"role", "admin"}}};
    return config;
  }
};

// The README's headline query, typed into curl: curl sends `<` as it is, unescaped.
TEST_F(ApiLimitsTest, TheHeadlineQueryWorksAsCurlSendsIt) {
  auto d = Start(Config());
  ASSERT_TRUE(d);
  WaitForBooks(*d);
  RawClient curl_like(d->base_url());
  ASSERT_TRUE(curl_like.connected());
  ASSERT_TRUE(curl_like.Send(
      "GET /api/v1/views/books/records?filter=price<20&sort=price&fields=title,price HTTP/1.1\r\n"
      "Host: 127.0.0.1\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"));
  ASSERT_TRUE(curl_like.ReadResponse()) << curl_like.received();
  ASSERT_EQ(curl_like.Status(), 200) << curl_like.received();
  const auto body = curl_like.Json();
  ASSERT_FALSE(body["records"].empty()) << curl_like.received();
  EXPECT_LT(body["records"].size(), 6u);  // the filter applied: not every book is under 20
  double last = 0;
  for (const auto& r : body["records"]) {
    const double price = r["fields"]["price"];
    EXPECT_LT(price, 20);
    EXPECT_GE(price, last);
    last = price;
    EXPECT_EQ(r["fields"].size(), 2u) << r.dump();
  }
  // The same answer as the properly escaped query.
  auto escaped =
      d->Get("/api/v1/views/books/records?filter=price%3C20&sort=price&fields=title,price");
  EXPECT_EQ(Keys(body), Keys(escaped.Json()));

  // `>` too, in the same way.
  RawClient greater(d->base_url());
  ASSERT_TRUE(greater.Send(
      "GET /api/v1/views/books/records?filter=price>=20 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  ASSERT_TRUE(greater.ReadResponse());
  EXPECT_EQ(greater.Status(), 200) << greater.received();
  const auto expensive = greater.Json();  // a local: a temporary's member would dangle
  ASSERT_FALSE(expensive["records"].empty()) << greater.received();
  for (const auto& r : expensive["records"]) EXPECT_GE(r["fields"]["price"].get<double>(), 20);
}

TEST_F(ApiLimitsTest, CorsIsOffByDefaultAndFollowsConfiguredOrigins) {
  auto config = TokenConfig();
  auto d = Start(config);
  ASSERT_TRUE(d);
  const std::vector<std::string> from_dashboard = {"Origin: https://dash.example",
                                                   "Authorization: Bearer " + kRead};
  const std::vector<std::string> preflight = {"Origin: https://dash.example",
                                              "Access-Control-Request-Method: GET",
                                              "Access-Control-Request-Headers: authorization"};
  auto plain = Call(*d, "GET", "/api/v1/views", {}, from_dashboard);
  EXPECT_EQ(plain.status, 200);
  auto options = Call(*d, "OPTIONS", "/api/v1/views", {}, preflight);
  EXPECT_EQ(options.status, 204);
  for (const auto* reply : {&plain, &options}) {
    for (const auto& [name, value] : reply->headers) {
      EXPECT_NE(name.rfind("access-control-", 0), 0u) << name << ": " << value;
    }
  }

  config["api"]["cors_origins"] = {"https://dash.example"};
  std::ofstream(d->config_path()) << config.dump();
  d->Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil([&] {
    return !Call(*d, "GET", "/api/v1/views", {}, from_dashboard)
                .headers["access-control-allow-origin"]
                .empty();
  })) << d->Log();
  auto records = Call(*d, "GET", "/api/v1/views/books/records", {}, from_dashboard);
  EXPECT_EQ(records.status, 200);
  EXPECT_EQ(records.headers["access-control-allow-origin"], "https://dash.example");
  EXPECT_NE(records.headers["vary"].find("Origin"), std::string::npos);
  const std::string exposed = records.headers["access-control-expose-headers"];
  for (const char* header : {"ETag", "X-Next-Cursor", "X-Total-Count", "Link"}) {
    EXPECT_NE(exposed.find(header), std::string::npos) << header << " not in " << exposed;
  }
  // The preflight carries no token and needs none.
  options = Call(*d, "OPTIONS", "/api/v1/views/books/records", {}, preflight);
  EXPECT_EQ(options.status, 204);
  EXPECT_EQ(options.headers["access-control-allow-origin"], "https://dash.example");
  EXPECT_NE(options.headers["access-control-allow-methods"].find("GET"), std::string::npos);
  EXPECT_NE(options.headers["access-control-allow-headers"].find("Authorization"),
            std::string::npos);
  // An error is readable by the page too; another origin gets no CORS header at all.
  auto unauthorized = Call(*d, "GET", "/api/v1/views", {}, {"Origin: https://dash.example"});
  EXPECT_EQ(unauthorized.status, 401);
  EXPECT_EQ(unauthorized.headers["access-control-allow-origin"], "https://dash.example");
  auto other = Call(*d, "GET", "/api/v1/views", {},
                    {"Origin: https://evil.example", "Authorization: Bearer " + kRead});
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.headers.count("access-control-allow-origin"), 0u);
}

TEST_F(ApiLimitsTest, TooLargeBodiesAndHeadersAreRefusedWithJsonErrors) {
  auto config = TokenConfig();
  config["api"]["max_body"] = "1KiB";
  config["api"]["max_header"] = "2KiB";
  auto d = Start(config);
  ASSERT_TRUE(d);

  // The declared length is enough: the body is refused before it is read.
  RawClient big_body(d->base_url());
  ASSERT_TRUE(
      big_body.Send("POST /api/v1/preview HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Authorization: Bearer " +
                    kAdmin + "\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n"));
  ASSERT_TRUE(big_body.ReadResponse()) << big_body.received();
  EXPECT_EQ(big_body.Status(), 413) << big_body.received();
  EXPECT_EQ(big_body.Json()["error"]["code"], "payload_too_large");
  EXPECT_NE(big_body.Json()["error"]["message"].get<std::string>().find("1024"), std::string::npos);
  EXPECT_TRUE(big_body.ReadToEnd());  // and the connection is closed

  RawClient big_header(d->base_url());
  ASSERT_TRUE(big_header.Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: " +
                              std::string(4096, 'x') + "\r\n\r\n"));
  ASSERT_TRUE(big_header.ReadResponse()) << big_header.received();
  EXPECT_EQ(big_header.Status(), 431) << big_header.received();
  EXPECT_EQ(big_header.Json()["error"]["code"], "header_too_large");
  EXPECT_TRUE(big_header.ReadToEnd());

  // Under the limits, the same requests are served.
  auto small = Call(*d, "GET", "/healthz", {}, {"X-Filler: " + std::string(512, 'x')});
  EXPECT_EQ(small.status, 200);
  auto preview = Call(*d, "POST", "/api/v1/preview", "[]", Bearer(kAdmin));
  EXPECT_EQ(preview.status, 400);  // read in full and judged: not a source definition
  EXPECT_EQ(preview.Json()["error"]["code"], "invalid_body");
}

// Slowloris: a client that drips its header must not hold a connection past read_timeout.
TEST_F(ApiLimitsTest, ASlowlorisClientIsCutOffAtTheReadTimeout) {
  auto config = Config();
  config["api"]["read_timeout"] = "500ms";
  auto d = Start(config);
  ASSERT_TRUE(d);
  RawClient slow(d->base_url());
  ASSERT_TRUE(slow.Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  const auto started = std::chrono::steady_clock::now();
  int drips = 0;
  // One header line every 100 ms, for up to 20 s, while the connection lasts. The pause is the
  // client's pace, spent waiting for the server to close.
  for (; drips < 200; ++drips) {
    if (!slow.Send("X-Drip-" + std::to_string(drips) + ": x\r\n")) break;
    slow.ReadUntil([](const std::string&) { return false; }, std::chrono::milliseconds(100));
    if (slow.eof()) break;
  }
  const auto lasted = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(slow.eof() || drips < 200) << "the server never closed the dripping connection";
  EXPECT_LT(lasted, std::chrono::seconds(10));
  EXPECT_EQ(slow.received().find("200 OK"), std::string::npos) << slow.received();
  // Others are served meanwhile and after.
  EXPECT_EQ(d->Get("/healthz").status, 200);
}

TEST_F(ApiLimitsTest, ConnectionsBeyondTheLimitGet503) {
  auto config = Config();
  config["api"]["max_connections"] = 2;
  auto d = Start(config);
  ASSERT_TRUE(d);
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  // Two keep-alive connections, each with an answered request: both are sessions now.
  auto first = std::make_unique<RawClient>(d->base_url());
  RawClient second(d->base_url());
  for (RawClient* c : {first.get(), &second}) {
    ASSERT_TRUE(c->Send(request));
    ASSERT_TRUE(c->ReadResponse());
    ASSERT_EQ(c->Status(), 200) << c->received();
  }
  RawClient third(d->base_url());
  ASSERT_TRUE(third.connected());
  ASSERT_TRUE(third.ReadResponse()) << third.received();
  EXPECT_EQ(third.Status(), 503) << third.received();
  EXPECT_EQ(third.Json()["error"]["code"], "too_many_connections");
  EXPECT_TRUE(third.ReadToEnd());
  // One leaves: the next connection is served.
  first.reset();
  EXPECT_TRUE(WaitUntil([&] { return d->Get("/healthz").status == 200; }));
  // The kept connection still works.
  ASSERT_TRUE(second.Send(request));
  EXPECT_TRUE(second.ReadUntil(
      [](const std::string& text) { return text.find("HTTP/1.1 200", 10) != std::string::npos; }));
}

// A file-size limit on the running daemon (what a full disk or quota looks like to SQLite):
// every write fails until it is lifted. Meanwhile /readyz says so, a source whose results cannot
// be stored says why and is fetched again soon, the records stored before stay as they were;
// once lifted, that retry stores the change.
TEST_F(ApiLimitsTest, ReadyzFailsWhileTheStoreCannotWrite) {
  // Writes past the limit fail with EFBIG instead of killing the daemon (the disposition is
  // inherited by the daemon).
  ::signal(SIGXFSZ, SIG_IGN);
  auto config = TokenConfig();
  config["sources"][1]["every"] = "1h";  // the store retry (30 s) comes before the regular slot
  ASSERT_EQ(config["sources"][1]["id"], "warehouse");
  auto d = Start(config);
  ASSERT_TRUE(d);
  WaitForBooks(*d, Bearer(kRead));
  ASSERT_EQ(d->Get("/readyz").status, 200);
  const auto admin = Bearer(kAdmin);
  const auto stock = [&]() -> json {
    const auto reply = Call(*d, "GET", "/api/v1/views/books/records/Paper%20Boats", {}, admin);
    return reply.status == 200 ? reply.Json()["fields"]["stock"] : json();
  };
  const auto warehouse = [&] {
    return Call(*d, "GET", "/api/v1/sources/warehouse", {}, admin).Json();
  };
  ASSERT_EQ(stock(), 12);
  rlimit limit{};
  ASSERT_EQ(::prlimit(d->pid(), RLIMIT_FSIZE, nullptr, &limit), 0);
  const rlimit tiny{1, limit.rlim_max};
  ASSERT_EQ(::prlimit(d->pid(), RLIMIT_FSIZE, &tiny, nullptr), 0) << std::strerror(errno);
  HttpReply ready;
  EXPECT_TRUE(WaitUntil([&] {
    ready = d->Get("/readyz");
    return ready.status == 503;
  }));
  EXPECT_EQ(ready.Json()["status"], "not_ready") << ready.body;
  EXPECT_EQ(ready.Json()["checks"]["store_writable"], false) << ready.body;
  EXPECT_EQ(ready.Json()["checks"]["workers"], true) << ready.body;
  EXPECT_NE(ready.body.find("the store cannot write"), std::string::npos) << ready.body;
  // Reads still work, and /healthz stays up: the daemon lives, it is just not ready.
  EXPECT_EQ(d->Get("/healthz").status, 200);
  EXPECT_EQ(Call(*d, "GET", "/api/v1/views/books/records", {}, admin).status, 200);

  // The warehouse's stock changes and it is fetched now: the result cannot be stored.
  std::ifstream in(SourceDir() + "/examples/site/api/inventory.json");
  std::string inventory((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t at = inventory.find("\"stock\": 12");
  ASSERT_NE(at, std::string::npos);
  inventory.replace(at, 12, "\"stock\": 7,");
  origin_.Route("/api/inventory.json",
                Response{200, {{"Content-Type", "application/json"}}, inventory});
  ASSERT_EQ(Call(*d, "POST", "/api/v1/sources/warehouse/refresh", {}, admin).status, 202);
  json source;
  EXPECT_TRUE(WaitUntil([&] {
    source = warehouse();
    return source.contains("store_error");
  })) << source.dump();
  EXPECT_EQ(stock(), 12) << "what was stored before stays";
  EXPECT_NE(d->Get("/readyz").body.find("warehouse"), std::string::npos)
      << "/readyz names the source whose results are not stored";
  // Fetched again 30 s after the failed run (the store retry, or the regular slot when
  // that comes sooner), not a whole interval later.
  json planned;
  EXPECT_TRUE(WaitUntil([&] {
    planned = warehouse();
    const auto& fetch = planned["fetch"];
    if (!fetch.contains("last") || fetch["in_flight"] != false) return false;
    const auto last = ParseRfc3339(fetch["last"]["time"].get<std::string>());
    const auto next = ParseRfc3339(fetch["next_due"].get<std::string>());
    return last && next && *next - *last <= std::chrono::seconds(35) &&
           (fetch["next_due_reason"] == "store retry" || fetch["next_due_reason"] == "interval");
  })) << planned.dump();

  // Lifted: the store retry stores the change; the source's error is gone, and the daemon is
  // ready again (it stays not ready while a source's latest results are not stored).
  ASSERT_EQ(::prlimit(d->pid(), RLIMIT_FSIZE, &limit, nullptr), 0);
  EXPECT_TRUE(WaitUntil([&] { return stock() == 7; }, std::chrono::seconds(60))) << d->Log();
  EXPECT_FALSE(warehouse().contains("store_error")) << warehouse().dump();
  EXPECT_TRUE(WaitUntil([&] { return d->Get("/readyz").status == 200; })) << d->Log();
}

// Workers killed as fast as they start (by an OOM killer, say): the crash-loop brake holds the
// respawn back, and meanwhile no worker can run a job.
TEST_F(ApiLimitsTest, ReadyzFailsWhenNoWorkerCanRun) {
  auto config = Config();
  config["workers"]["processes"] = 1;
  auto d = Start(config);
  ASSERT_TRUE(d);
  WaitForBooks(*d);
  ASSERT_EQ(d->Get("/readyz").status, 200);
  HttpReply ready;
  int kills = 0;
  EXPECT_TRUE(WaitUntil([&] {
    for (pid_t worker : ChildrenOf(d->pid())) kills += ::kill(worker, SIGKILL) == 0 ? 1 : 0;
    ready = d->Get("/readyz");
    return ready.status == 503 && ready.Json()["checks"]["workers"] == false;
  })) << ready.body;
  EXPECT_GE(kills, 1);
  EXPECT_EQ(ready.Json()["status"], "not_ready");
  EXPECT_NE(ready.body.find("no worker process can run jobs"), std::string::npos) << ready.body;
  EXPECT_EQ(d->Get("/healthz").status, 200);
  // Left alone, the pool respawns its worker and the daemon is ready again.
  EXPECT_TRUE(WaitUntil([&] { return d->Get("/readyz").status == 200; })) << d->Log();
}

TEST_F(ApiLimitsTest, MetricsBehindATokenNeedOne) {
  auto config = TokenConfig();
  config["api"]["metrics"] = "token";
  auto d = Start(config);
  ASSERT_TRUE(d);
  auto none = Call(*d, "GET", "/metrics");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers["www-authenticate"], "Bearer");
  EXPECT_EQ(none.Json()["error"]["code"], "unauthorized");
  for (const auto& token : {kRead, kAdmin}) {
    auto scrape = Call(*d, "GET", "/metrics", {}, Bearer(token));
    EXPECT_EQ(scrape.status, 200);
    EXPECT_NE(scrape.body.find("tributary_api_requests_total"), std::string::npos);
  }
  EXPECT_EQ(Call(*d, "GET", "/metrics", {}, Bearer("wrong-token-0123456789abcdef")).status, 401);
  // Health and readiness stay open (ready once a worker is up: the daemon says it listens
  // before its workers have started, which on a loaded machine takes a while).
  EXPECT_EQ(Call(*d, "GET", "/healthz").status, 200);
  EXPECT_TRUE(WaitUntil([&] { return Call(*d, "GET", "/readyz").status == 200; })) << d->Log();
}

TEST_F(ApiLimitsTest, ALongPollAnswersAsSoonAsAChangeArrives) {
  auto d = Start(TokenConfig());
  ASSERT_TRUE(d);
  WaitForBooks(*d, Bearer(kRead));
  auto waiters = [&] {
    const std::string metrics = Call(*d, "GET", "/metrics").body;
    const std::string name = "\ntributary_api_change_waiters ";
    const auto at = metrics.find(name);
    return at == std::string::npos ? -1.0 : std::stod(metrics.substr(at + name.size()));
  };
  // Settled: nothing else is waiting (no webhooks), and the history is complete.
  ASSERT_TRUE(WaitUntil([&] { return waiters() == 0; }));
  const int64_t latest =
      Call(*d, "GET", "/api/v1/changes", {}, Bearer(kRead)).Json()["latest"].get<int64_t>();
  const std::string base = d->base_url();
  auto poll = std::async(std::launch::async, [&] {
    const auto started = std::chrono::steady_clock::now();
    auto reply =
        HttpRequest("GET", base + "/api/v1/changes?since=" + std::to_string(latest) + "&wait=30s",
                    {}, Bearer(kRead));
    return std::make_pair(reply, std::chrono::steady_clock::now() - started);
  });
  // The request is parked in the daemon: only now does the data change.
  ASSERT_TRUE(WaitUntil([&] { return waiters() >= 1; }));
  std::ifstream in(SourceDir() + "/examples/site/api/inventory.json");
  auto inventory = json::parse(in);
  inventory["items"][0]["stock"] = 99;
  origin_.Route(
      "/api/inventory.json",
      test_support::Response{200, {{"Content-Type", "application/json"}}, inventory.dump()});
  ASSERT_EQ(Call(*d, "POST", "/api/v1/sources/warehouse/refresh", {}, Bearer(kAdmin)).status, 202);
  auto [reply, waited] = poll.get();
  ASSERT_EQ(reply.status, 200) << reply.error << " " << reply.body;
  const auto body = reply.Json();
  ASSERT_FALSE(body["changes"].empty()) << reply.body;
  EXPECT_EQ(body["changes"][0]["seq"], latest + 1);
  EXPECT_EQ(body["changes"][0]["op"], "changed");
  // Well before the 30 s the client was ready to wait.
  EXPECT_LT(waited, std::chrono::seconds(15));
  EXPECT_EQ(waiters(), 0);
}

}  // namespace
}  // namespace tributary::testing
