// The fetch engine's concurrency and lifetime: many transfers across shards, Stop() with
// transfers in flight, Fetch() racing Stop(), connection reuse.
#include <gtest/gtest.h>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <latch>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fetchers/fetcher.hpp"
#include "fetchers/url_host.hpp"
#include "tests/fetchers/fetch_test_util.hpp"
#include "tests/support/origin.hpp"

namespace tributary::fetchers {
namespace {

using test_support::Response;
using test_support::TestOrigin;

// Counts callbacks per request; Wait() returns once `expected` calls have arrived.
class CallbackLog {
 public:
  explicit CallbackLog(size_t expected) : calls_(expected), expected_(expected) {}

  Fetcher::Callback For(size_t index) {
    return [this, index](FetchResult result) {
      std::lock_guard lock(mu_);
      ++calls_[index];
      threads_.insert(std::this_thread::get_id());
      results_.push_back(std::move(result));
      if (results_.size() >= expected_) cv_.notify_all();
    };
  }
  bool Wait(std::chrono::seconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return results_.size() >= expected_; });
  }
  std::vector<int> Calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<FetchResult> Results() {
    std::lock_guard lock(mu_);
    return results_;
  }
  size_t Threads() {
    std::lock_guard lock(mu_);
    return threads_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_.
  std::vector<int> calls_;
  std::set<std::thread::id> threads_;
  std::vector<FetchResult> results_;
  const size_t expected_;
};

// A second loopback address whose host lands on the other of two shards than 127.0.0.1.
std::string OtherShardAddress() {
  const size_t first = ShardIndexFor("host:127.0.0.1", 2);
  for (int i = 2; i < 250; ++i) {
    const std::string address = "127.0.0." + std::to_string(i);
    if (ShardIndexFor("host:" + address, 2) != first) return address;
  }
  return {};
}

TEST(FetcherLifecycle, ConcurrentFetchesAcrossShardsCompleteExactlyOnce) {
  const std::string other_address = OtherShardAddress();
  ASSERT_FALSE(other_address.empty());
  TestOrigin a;
  TestOrigin b(0, other_address);
  a.Route("/item", {200, {}, "from a"});
  b.Route("/item", {200, {}, "from b"});
  CallbackLog log(200);
  Fetcher fetcher(FetcherOptions{2});
  for (size_t i = 0; i < 200; ++i) {
    const TestOrigin& origin = i % 2 == 0 ? a : b;
    fetcher.Fetch(LoopbackRequest(origin.Url("/item?n=" + std::to_string(i))), log.For(i));
  }
  ASSERT_TRUE(log.Wait());
  EXPECT_EQ(fetcher.InFlight(), 0u);
  for (const FetchResult& r : log.Results()) {
    ASSERT_FALSE(r.error) << r.url << ": " << r.error->message;
    EXPECT_EQ(r.body, r.url.find("127.0.0.1") != std::string::npos ? "from a" : "from b");
  }
  EXPECT_EQ(log.Threads(), 2u);  // one per shard
  EXPECT_EQ(a.Hits("/item") + b.Hits("/item"), 200u);
  fetcher.Stop();
  for (int calls : log.Calls()) EXPECT_EQ(calls, 1);
}

TEST(FetcherLifecycle, StopCancelsTransfersInFlightOnce) {
  TestOrigin origin;
  Response slow{200, {}, "late"};
  slow.delay = std::chrono::seconds(30);
  origin.Route("/slow", slow);
  CallbackLog log(20);
  Fetcher fetcher(FetcherOptions{2});
  for (size_t i = 0; i < 20; ++i) fetcher.Fetch(LoopbackRequest(origin.Url("/slow")), log.For(i));
  ASSERT_TRUE(origin.WaitForHits("/slow", 20));
  EXPECT_EQ(fetcher.InFlight(), 20u);

  const auto start = std::chrono::steady_clock::now();
  fetcher.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  ASSERT_TRUE(log.Wait(std::chrono::seconds(1)));  // Stop() returned: every callback has run
  EXPECT_EQ(fetcher.InFlight(), 0u);
  for (const FetchResult& r : log.Results()) {
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->error_class, ErrorClass::kRetryable);
    EXPECT_EQ(r.error->message, "cancelled");
    EXPECT_EQ(r.source_id, "test-source");
  }
  fetcher.Stop();  // idempotent
  for (int calls : log.Calls()) EXPECT_EQ(calls, 1);
}

TEST(FetcherLifecycle, FetchAfterStopIsCancelledAtOnce) {
  Fetcher fetcher(FetcherOptions{2});
  fetcher.Stop();
  bool called = false;
  FetchResult result;
  fetcher.Fetch(LoopbackRequest("http://127.0.0.1:1/x"), [&](FetchResult r) {
    called = true;
    result = std::move(r);
  });
  ASSERT_TRUE(called);  // synchronously, on this thread
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->message, "cancelled");
  EXPECT_EQ(result.error->error_class, ErrorClass::kRetryable);
  EXPECT_EQ(fetcher.InFlight(), 0u);
}

TEST(FetcherLifecycle, DestructorCancelsTransfersInFlight) {
  TestOrigin origin;
  Response slow{200, {}, "late"};
  slow.delay = std::chrono::seconds(30);
  origin.Route("/slow", slow);
  CallbackLog log(10);
  {
    Fetcher fetcher(FetcherOptions{3});
    for (size_t i = 0; i < 10; ++i) {
      fetcher.Fetch(LoopbackRequest(origin.Url("/slow")), log.For(i));
    }
    ASSERT_TRUE(origin.WaitForHits("/slow", 10));
  }
  ASSERT_TRUE(log.Wait(std::chrono::seconds(1)));
  for (int calls : log.Calls()) EXPECT_EQ(calls, 1);
  for (const FetchResult& r : log.Results()) EXPECT_EQ(r.error->message, "cancelled");
}

TEST(FetcherLifecycle, FetchRacingStopCallsBackExactlyOnce) {
  TestOrigin origin;
  origin.Route("/doc", {200, {}, "ok"});
  constexpr size_t kThreads = 4;
  constexpr size_t kPerThread = 50;
  CallbackLog log(kThreads * kPerThread);
  Fetcher fetcher(FetcherOptions{2});
  std::latch halfway(kThreads);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < kPerThread; ++i) {
        if (i == kPerThread / 2) halfway.count_down();
        fetcher.Fetch(LoopbackRequest(origin.Url("/doc")), log.For(t * kPerThread + i));
      }
    });
  }
  halfway.wait();
  fetcher.Stop();
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(log.Wait(std::chrono::seconds(1)));
  for (int calls : log.Calls()) EXPECT_EQ(calls, 1);
  for (const FetchResult& r : log.Results()) {
    if (r.error) {
      EXPECT_EQ(r.error->message, "cancelled");
    }
  }
  EXPECT_EQ(fetcher.InFlight(), 0u);
}

TEST(FetcherLifecycle, ReusesConnectionsToTheSameOrigin) {
  TestOrigin origin;
  origin.Route("/doc", {200, {}, "ok"});
  Fetcher fetcher(FetcherOptions{2});
  for (int i = 0; i < 10; ++i) {
    const FetchResult r = FetchSync(fetcher, LoopbackRequest(origin.Url("/doc")));
    ASSERT_FALSE(r.error) << r.error->message;
  }
  EXPECT_EQ(origin.Hits("/doc"), 10u);
  EXPECT_LT(origin.Connections(), 10u);
  EXPECT_EQ(origin.Connections(), 1u);
  for (const auto& request : origin.Requests()) EXPECT_EQ(request.connection, 1u);
}

// A kept-alive connection's socket stays registered with the shard's event loop between
// transfers. When the server closes it while idle, libcurl finds it dead at the next fetch and
// closes it; the descriptor number comes back at once for the next connections, which must be
// watched afresh (a stale registration would leave those fetches waiting until their timeout).
TEST(FetcherLifecycle, DescriptorOfAClosedKeptAliveConnectionIsWatchedAfreshWhenReused) {
  auto first = std::make_unique<TestOrigin>();
  first->Route("/doc", {200, {}, "one"});
  TestOrigin second;
  second.Route("/doc", {200, {}, "two"});
  Fetcher fetcher(FetcherOptions{1});
  const FetchResult kept = FetchSync(fetcher, LoopbackRequest(first->Url("/doc")));
  ASSERT_FALSE(kept.error) << kept.error->message;
  const std::string gone = first->Url("/doc");
  first->Stop();  // closes the idle connection libcurl keeps
  // The kept connection is found dead and closed, and a new one opened (refused, unless another
  // test's origin took the port meanwhile: either way the descriptors were closed and reused).
  FetchSync(fetcher, LoopbackRequest(gone));
  for (int i = 0; i < 3; ++i) {
    FetchRequest request = LoopbackRequest(second.Url("/doc"));
    request.timeout = std::chrono::seconds(3);
    const FetchResult r = FetchSync(fetcher, request);
    ASSERT_FALSE(r.error) << r.error->message;
    EXPECT_EQ(r.body, "two");
  }
  EXPECT_EQ(second.Hits("/doc"), 3u);
  EXPECT_EQ(second.Connections(), 1u);
}

// A finished transfer's easy handle serves the next transfer of its shard (one shard here, so
// every fetch below reuses the one before's handle). Nothing of one fetch may reach the next:
// neither the cookies it was configured with nor those its server set, nor its credentials.
TEST(FetcherLifecycle, AReusedHandleCarriesNothingOfTheFetchBefore) {
  TestOrigin origin;
  origin.Route("/a", {200, {{"Set-Cookie", "tracker=1; Path=/"}}, "a"});
  origin.Route("/b", {200, {}, "b"});
  Fetcher fetcher(FetcherOptions{1});
  FetchRequest first = LoopbackRequest(origin.Url("/a"));
  first.cookies = "session=abc";
  first.basic_user = "alice";
  first.basic_password = "s3cret";
  first.headers = {{"X-Only-First", "yes"}};
  first.user_agent = "first-agent";
  ASSERT_FALSE(FetchSync(fetcher, first).error);
  for (int i = 0; i < 3; ++i) {
    const FetchResult r = FetchSync(fetcher, LoopbackRequest(origin.Url("/b")));
    ASSERT_FALSE(r.error) << r.error->message;
    EXPECT_EQ(r.body, "b");
  }
  const auto log = origin.Requests();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].Header("cookie"), "session=abc");
  EXPECT_EQ(log[0].Header("x-only-first"), "yes");
  EXPECT_EQ(log[0].Header("user-agent"), "first-agent");
  EXPECT_NE(log[0].Header("authorization"), "");
  for (size_t i = 1; i < log.size(); ++i) {
    EXPECT_EQ(log[i].Header("cookie"), "") << "request " << i;
    EXPECT_EQ(log[i].Header("authorization"), "") << "request " << i;
    EXPECT_EQ(log[i].Header("x-only-first"), "") << "request " << i;
    EXPECT_EQ(log[i].Header("user-agent"), "tributary/0.1") << "request " << i;
  }
}

// Handles of transfers that failed (refused connection, body over its limit, a timeout) serve
// the next fetches as well as a fresh one would.
TEST(FetcherLifecycle, HandlesOfFailedTransfersServeTheNextFetches) {
  TestOrigin origin;
  origin.Route("/big", {200, {}, std::string(64 * 1024, 'x')});
  Response late{200, {}, "late"};
  late.delay = std::chrono::seconds(5);
  origin.Route("/slow", late);
  origin.Route("/ok", {200, {}, "fine"});
  const std::string refused = [] {
    TestOrigin gone;
    return gone.Url("/none");
  }();
  Fetcher fetcher(FetcherOptions{1});
  EXPECT_TRUE(FetchSync(fetcher, LoopbackRequest(refused)).error);
  FetchRequest big = LoopbackRequest(origin.Url("/big"));
  big.max_body = 1024;
  EXPECT_TRUE(FetchSync(fetcher, big).error);
  FetchRequest slow = LoopbackRequest(origin.Url("/slow"));
  slow.timeout = std::chrono::milliseconds(200);
  EXPECT_TRUE(FetchSync(fetcher, slow).error);
  for (int i = 0; i < 3; ++i) {
    const FetchResult r = FetchSync(fetcher, LoopbackRequest(origin.Url("/ok")));
    ASSERT_FALSE(r.error) << r.error->message;
    EXPECT_EQ(r.body, "fine");
    EXPECT_EQ(r.status, 200);
  }
}

// libcurl closes some sockets without announcing it (the loser of two connects raced to a
// name's two addresses) and the number comes back at once for the next socket, here its
// resolver's socket pair: such a number is watched afresh, never taken for the socket before
// it. What a test can see is that every fetch goes on; a socket pair missing from the set would
// only slow a fetch by name (libcurl also polls its resolver on a timer), an epoll_ctl refused
// would fail it. Here "localhost" is 127.0.0.1 and ::1 to libcurl: 127.0.0.1 never answers (a
// listener whose queue is full drops the connect), so libcurl races ::1 after 200 ms, which
// wins, and closes the 127.0.0.1 socket unannounced. Then two fetches by the machine's own
// name (libcurl's threaded resolver), each to another port so that its DNS cache does not
// answer; the first opens no connection.
TEST(FetcherLifecycle, NumbersOfSocketsClosedUnannouncedAreWatchedAfresh) {
  std::array<char, 256> name{};
  ASSERT_EQ(gethostname(name.data(), name.size() - 1), 0);
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* found = nullptr;
  bool loopback = false;
  if (getaddrinfo(name.data(), nullptr, &hints, &found) == 0) {
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
      if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) loopback = true;
    }
    freeaddrinfo(found);
  }
  if (!loopback) GTEST_SKIP() << "the host name " << name.data() << " is not a loopback address";
  // The silent listener on 127.0.0.1: backlog 0 and one connection queued, never accepted.
  const int silent = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(silent, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(bind(silent, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(silent, 0), 0);
  ASSERT_EQ(getsockname(silent, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const uint16_t port = ntohs(address.sin_port);
  const int queued = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(connect(queued, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  std::unique_ptr<TestOrigin> six;
  try {
    six = std::make_unique<TestOrigin>(port, "::1");
  } catch (const std::exception& e) {
    close(queued);
    close(silent);
    GTEST_SKIP() << "no IPv6 loopback: " << e.what();
  }
  six->Route("/doc", {200, {}, "over ::1"});
  // Made first: the numbers the loser frees are then the lowest free ones when the resolver
  // makes its socket pair.
  std::vector<std::unique_ptr<TestOrigin>> origins;
  for (int i = 0; i < 8; ++i) {
    origins.push_back(std::make_unique<TestOrigin>());
    origins.back()->Route("/doc", {200, {}, "by name"});
  }
  Fetcher fetcher(FetcherOptions{1});
  for (int i = 0; i < 4; ++i) {
    FetchRequest raced = LoopbackRequest("http://localhost:" + std::to_string(port) + "/doc");
    raced.headers = {{"Connection", "close"}};  // a new race every time, no kept connection
    const FetchResult r = FetchSync(fetcher, raced);
    ASSERT_FALSE(r.error) << "race " << i << ": " << r.error->message;
    EXPECT_EQ(r.body, "over ::1");
    const auto by_name = [&](int k) {
      FetchRequest request =
          LoopbackRequest("http://" + std::string(name.data()) + ":" +
                          std::to_string(origins[static_cast<size_t>(k)]->port()) + "/doc");
      request.timeout = std::chrono::seconds(3);
      return request;
    };
    // Resolved, then refused by the address guard before any socket is opened: the next
    // resolver's socket pair gets the same number, with no connection's socket in between.
    FetchRequest guarded = by_name(2 * i);
    guarded.allow_private_networks = false;
    const FetchResult g = FetchSync(fetcher, guarded);
    ASSERT_TRUE(g.error);
    EXPECT_NE(g.error->message.find("private"), std::string::npos) << g.error->message;
    const FetchResult n = FetchSync(fetcher, by_name(2 * i + 1));
    ASSERT_FALSE(n.error) << "fetch by name " << i << ": " << n.error->message;
    EXPECT_EQ(n.body, "by name");
  }
  close(queued);
  close(silent);
}

}  // namespace
}  // namespace tributary::fetchers
