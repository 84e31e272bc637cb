#include "merge/pool/worker_pool.hpp"
#include "merge/pool/worker_process.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <functional>
#include <future>
#include <set>
#include <thread>

namespace tributary::merge::pool {
namespace {

// The marker file of a "crash_once" job (the job crashes unless it exists), in a directory of
// its own that is removed with it.
class CrashOnceMarker {
 public:
  CrashOnceMarker() {
    char dir[] = "/tmp/pooltestXXXXXX";
    if (mkdtemp(dir) != nullptr) dir_ = dir;
  }
  ~CrashOnceMarker() {
    unlink(path().c_str());
    rmdir(dir_.c_str());
  }
  bool ok() const { return !dir_.empty(); }
  std::string path() const { return dir_ + "/marker"; }

 private:
  std::string dir_;
};

// A pool of test workers (pool_test_worker) on its own io thread.
class PoolFixture : public ::testing::Test {
 protected:
  void StartPool(int processes, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    PoolOptions o;
    o.processes = processes;
    o.job_timeout = timeout;
    StartPool(std::move(o));
  }
  void StartPool(PoolOptions o) {
    o.worker_exe = POOL_TEST_WORKER;
    o.worker_args = {};
    pool_ = std::make_unique<WorkerPool>(io_, o);
    thread_ = std::thread([this] { io_.run(); });
    pool_->Start();
  }
  void TearDown() override {
    if (pool_) pool_->Stop();
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  JobOutcome Run(nlohmann::json meta, std::string body = {}) {
    std::promise<JobOutcome> p;
    auto f = p.get_future();
    pool_->Submit(Job{"test", meta.dump(), std::move(body)},
                  [&p](JobOutcome o) { p.set_value(std::move(o)); });
    EXPECT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    return f.get();
  }

  // A "crash_once" job: its first attempt crashes its worker, the retry succeeds.
  JobOutcome RunCrashOnce(std::string body = {}) {
    CrashOnceMarker marker;
    EXPECT_TRUE(marker.ok());
    return Run({{"job", "crash_once"}, {"marker", marker.path()}}, std::move(body));
  }

  static bool WaitFor(const std::function<bool()>& condition) {
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!condition()) {
      if (std::chrono::steady_clock::now() > limit) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling, bounded above
    }
    return true;
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::unique_ptr<WorkerPool> pool_;
  std::thread thread_;
};

TEST_F(PoolFixture, RunsJobsInOtherProcesses) {
  StartPool(2);
  std::string body(1 << 20, 'x');
  body[12345] = '\0';
  auto out = Run({{"job", "echo"}, {"value", "hello"}}, body);
  ASSERT_TRUE(out.reply) << (out.failure ? out.failure->message : "");
  EXPECT_TRUE((*out.reply)["ok"].get<bool>());
  EXPECT_EQ((*out.reply)["echo"], "hello");
  EXPECT_NE((*out.reply)["pid"].get<int>(), getpid());
  EXPECT_EQ(out.body, body);
  EXPECT_EQ(out.attempts, 1);
}

TEST_F(PoolFixture, ManyConcurrentJobsEachCompleteOnce) {
  StartPool(2);
  constexpr int kJobs = 200;
  std::vector<std::promise<JobOutcome>> promises(kJobs);
  for (int i = 0; i < kJobs; ++i) {
    pool_->Submit(Job{"test", nlohmann::json({{"job", "echo"}, {"value", i}}).dump(), {}},
                  [&promises, i](JobOutcome o) { promises[i].set_value(std::move(o)); });
  }
  std::set<int> pids;
  for (int i = 0; i < kJobs; ++i) {
    auto f = promises[i].get_future();
    ASSERT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    auto o = f.get();
    ASSERT_TRUE(o.reply);
    EXPECT_EQ((*o.reply)["echo"].get<int>(), i);
    pids.insert((*o.reply)["pid"].get<int>());
  }
  EXPECT_LE(pids.size(), 2u);
  EXPECT_EQ(pool_->Stats().jobs_completed, static_cast<uint64_t>(kJobs));
}

TEST_F(PoolFixture, CrashingJobIsRetriedOnceThenFailsWithCause) {
  StartPool(1);
  auto out = Run({{"job", "crash"}});
  EXPECT_FALSE(out.reply);
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.attempts, 2);
  EXPECT_NE(out.failure->message.find("killed by signal 11"), std::string::npos)
      << out.failure->message;
  EXPECT_NE(out.failure->message.find("twice"), std::string::npos) << out.failure->message;
  // The pool replaced the dead workers and still works.
  auto ok = Run({{"job", "echo"}, {"value", 1}});
  ASSERT_TRUE(ok.reply);
  EXPECT_EQ(out.cause, FailureCause::kCrash);
  EXPECT_EQ(out.losses, (std::vector<FailureCause>{FailureCause::kCrash, FailureCause::kCrash}));
  EXPECT_EQ(pool_->Stats().Losses(FailureCause::kCrash), 2u);
  EXPECT_EQ(pool_->Stats().TotalLosses(), 2u);
  EXPECT_EQ(pool_->Stats().jobs_failed, 1u);
  EXPECT_EQ(pool_->Stats().jobs_retried, 1u);
}

TEST_F(PoolFixture, RetrySucceedsOnAFreshWorker) {
  StartPool(1);
  auto out = RunCrashOnce();
  ASSERT_TRUE(out.reply) << (out.failure ? out.failure->message : "");
  EXPECT_EQ(out.attempts, 2);
  EXPECT_EQ(out.losses, std::vector<FailureCause>{FailureCause::kCrash});
}

TEST_F(PoolFixture, RetryWaitsForAWorkerThatRanNothingBefore) {
  StartPool(2);
  // Both workers run a job first (two at once, until two processes answered).
  std::set<int> used;
  for (int round = 0; round < 20 && used.size() < 2; ++round) {
    std::promise<JobOutcome> a, b;
    pool_->Submit(Job{"test", nlohmann::json({{"job", "sleep"}, {"ms", 100}}).dump(), {}},
                  [&a](JobOutcome o) { a.set_value(std::move(o)); });
    pool_->Submit(Job{"test", nlohmann::json({{"job", "sleep"}, {"ms", 100}}).dump(), {}},
                  [&b](JobOutcome o) { b.set_value(std::move(o)); });
    for (auto* p : {&a, &b}) {
      auto o = p->get_future().get();
      ASSERT_TRUE(o.reply);
      used.insert((*o.reply)["pid"].get<int>());
    }
  }
  ASSERT_EQ(used.size(), 2u);
  // The job crashes one of them. Its sibling is idle at once, but has run a job: the retry
  // waits for the replacement process.
  auto out = RunCrashOnce();
  ASSERT_TRUE(out.reply) << (out.failure ? out.failure->message : "");
  EXPECT_EQ(out.attempts, 2);
  EXPECT_EQ(used.count((*out.reply)["pid"].get<int>()), 0u)
      << "the retry ran on a worker that had run jobs before";
}

// Submits every job at once and waits for all of them, in order.
std::vector<JobOutcome> RunAll(WorkerPool& pool, const std::vector<nlohmann::json>& metas) {
  std::vector<std::promise<JobOutcome>> done(metas.size());
  for (size_t i = 0; i < metas.size(); ++i) {
    pool.Submit(Job{"test", metas[i].dump(), {}},
                [&done, i](JobOutcome o) { done[i].set_value(std::move(o)); });
  }
  std::vector<JobOutcome> out;
  for (auto& d : done) {
    auto f = d.get_future();
    EXPECT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    out.push_back(f.get());
  }
  return out;
}

TEST_F(PoolFixture, NextRequestIsQueuedAheadOnABusyWorker) {
  StartPool(1);
  auto out = RunAll(*pool_, {{{"job", "sleep"}, {"ms", 200}}, {{"job", "echo"}, {"value", 7}}});
  ASSERT_TRUE(out[0].reply && out[1].reply);
  EXPECT_EQ((*out[1].reply)["echo"], 7);
  EXPECT_EQ(out[1].attempts, 1);
  // The echo's request was written while the worker slept.
  EXPECT_EQ(pool_->Stats().queued_ahead, 1u);
}

TEST_F(PoolFixture, QueuedAheadJobGetsItsWholeDeadline) {
  // The deadline runs from when the worker starts a job, not from when its request was written
  // ahead: the second sleep would otherwise be killed after 1000 - 600 ms.
  StartPool(1, std::chrono::milliseconds(1000));
  auto out = RunAll(*pool_, {{{"job", "sleep"}, {"ms", 600}}, {{"job", "sleep"}, {"ms", 600}}});
  for (const auto& o : out) {
    ASSERT_TRUE(o.reply) << (o.failure ? o.failure->message : "");
    EXPECT_EQ(o.attempts, 1);
  }
  EXPECT_EQ(pool_->Stats().TotalLosses(), 0u);
}

TEST_F(PoolFixture, JobQueuedAheadOfACrashIsNotCharged) {
  StartPool(1);
  // The crash kills its worker (twice: the retry too); the echo behind it, whether it was
  // queued ahead or still waiting, never ran on a lost worker's behalf.
  auto out = RunAll(*pool_, {{{"job", "crash"}}, {{"job", "echo"}, {"value", 1}}});
  EXPECT_FALSE(out[0].reply.has_value());
  EXPECT_EQ(out[0].attempts, 2);
  ASSERT_TRUE(out[1].reply) << (out[1].failure ? out[1].failure->message : "");
  EXPECT_EQ(out[1].attempts, 1);
  EXPECT_TRUE(out[1].losses.empty());
}

TEST_F(PoolFixture, WorkersGetTheMallocTunablesUnlessTheDaemonSetsItsOwn) {
  const char* before = std::getenv("GLIBC_TUNABLES");
  const std::string saved = before != nullptr ? before : "";
  ::unsetenv("GLIBC_TUNABLES");
  StartPool(1);
  auto out = Run({{"job", "env"}, {"name", "GLIBC_TUNABLES"}});
  ASSERT_TRUE(out.reply);
  EXPECT_EQ((*out.reply)["value"], kWorkerMallocTunables);
  // The daemon's own setting wins (a replacement worker is spawned with it).
  ::setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=9", 1);
  ASSERT_FALSE(Run({{"job", "crash"}}).reply);
  out = Run({{"job", "env"}, {"name", "GLIBC_TUNABLES"}});
  if (saved.empty()) {
    ::unsetenv("GLIBC_TUNABLES");
  } else {
    ::setenv("GLIBC_TUNABLES", saved.c_str(), 1);
  }
  ASSERT_TRUE(out.reply);
  EXPECT_EQ((*out.reply)["value"], "glibc.malloc.tcache_count=9");
}

TEST_F(PoolFixture, HungJobIsKilledAtTheDeadline) {
  StartPool(1, std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  auto out = Run({{"job", "hang"}});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(out.failure);
  EXPECT_NE(out.failure->message.find("timed out after 300 ms"), std::string::npos)
      << out.failure->message;
  EXPECT_LT(elapsed, std::chrono::seconds(10));
  EXPECT_EQ(out.cause, FailureCause::kTimeout);
  EXPECT_EQ(pool_->Stats().Losses(FailureCause::kTimeout), 2u);
  auto ok = Run({{"job", "echo"}, {"value", 2}});
  EXPECT_TRUE(ok.reply);
}

TEST_F(PoolFixture, WorkerThatExitsIsReportedWithItsStatus) {
  StartPool(1);
  auto out = Run({{"job", "exit"}});
  ASSERT_TRUE(out.failure);
  EXPECT_NE(out.failure->message.find("exited with status 3"), std::string::npos)
      << out.failure->message;
}

TEST_F(PoolFixture, HandlerExceptionIsAnErrorReplyNotACrash) {
  StartPool(1);
  auto out = Run({{"job", "throw"}});
  ASSERT_TRUE(out.reply);
  EXPECT_FALSE((*out.reply)["ok"].get<bool>());
  EXPECT_EQ((*out.reply)["error"]["message"], "handler threw");
  EXPECT_EQ(pool_->Stats().TotalLosses(), 0u);
}

TEST_F(PoolFixture, StopFailsQueuedJobsExactlyOnce) {
  StartPool(1);
  std::promise<JobOutcome> hung, queued;
  pool_->Submit(Job{"a", nlohmann::json({{"job", "hang"}}).dump(), {}},
                [&](JobOutcome o) { hung.set_value(o); });
  pool_->Submit(Job{"b", nlohmann::json({{"job", "echo"}}).dump(), {}},
                [&](JobOutcome o) { queued.set_value(o); });
  // Wait until the first job is running before stopping.
  while (pool_->Stats().busy == 0) std::this_thread::yield();
  pool_->Stop();
  auto a = hung.get_future().get();
  auto b = queued.get_future().get();
  ASSERT_TRUE(a.failure);
  ASSERT_TRUE(b.failure);
  EXPECT_EQ(b.failure->message, "pool stopped");
  EXPECT_EQ(pool_->Stats().processes, 0);
}

TEST_F(PoolFixture, LargeBodiesTravelAsASealedMemfd) {
  StartPool(1);
  std::string body(4 << 20, '\0');
  uint64_t sum = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    body[i] = static_cast<char>(i * 31 % 256);
    sum += static_cast<unsigned char>(body[i]);
  }
  auto first = Run({{"job", "sum"}}, body);
  ASSERT_TRUE(first.reply) << (first.failure ? first.failure->message : "");
  EXPECT_EQ((*first.reply)["sum"].get<uint64_t>(), sum);
  EXPECT_EQ(pool_->Stats().shared_bodies, 1u);
  // Small bodies go through the worker's region; descriptors do not pile up in the worker.
  auto small = Run({{"job", "echo"}, {"value", 1}}, std::string(1000, 'x'));
  ASSERT_TRUE(small.reply);
  EXPECT_EQ(small.body, std::string(1000, 'x'));
  EXPECT_EQ(pool_->Stats().shared_bodies, 1u);
  EXPECT_EQ(pool_->Stats().region_bodies, 1u);
  int open_fds = -1;
  for (int i = 0; i < 20; ++i) {
    auto again = Run({{"job", "sum"}}, body);
    ASSERT_TRUE(again.reply);
    EXPECT_EQ((*again.reply)["sum"].get<uint64_t>(), sum);
    if (open_fds < 0) open_fds = (*again.reply)["open_fds"].get<int>();
    EXPECT_EQ((*again.reply)["open_fds"].get<int>(), open_fds) << i;
  }
  EXPECT_EQ(pool_->Stats().shared_bodies, 21u);
}

// A body of `size` bytes that differs from every other seed's, and the sum of its bytes.
std::pair<std::string, uint64_t> SeededBody(size_t size, unsigned seed) {
  std::string body(size, '\0');
  uint64_t sum = 0;
  for (size_t i = 0; i < size; ++i) {
    body[i] = static_cast<char>((i * 131 + seed * 7919) % 251);
    sum += static_cast<unsigned char>(body[i]);
  }
  return {body, sum};
}

TEST_F(PoolFixture, SmallBodiesGoThroughTheWorkersRegionOneSlotPerOutstandingRequest) {
  StartPool(1);
  // The first job reads its body only after sleeping, while the second is queued ahead: had
  // they shared a slot, the first would sum the second's bytes.
  const auto [slow, slow_sum] = SeededBody(200 * 1024, 1);
  const auto [next, next_sum] = SeededBody(100 * 1024, 2);
  std::promise<JobOutcome> a, b;
  pool_->Submit(Job{"slow", nlohmann::json({{"job", "sum"}, {"ms", 300}}).dump(), slow},
                [&a](JobOutcome o) { a.set_value(std::move(o)); });
  pool_->Submit(Job{"next", nlohmann::json({{"job", "sum"}}).dump(), next},
                [&b](JobOutcome o) { b.set_value(std::move(o)); });
  auto first = a.get_future().get();
  auto second = b.get_future().get();
  ASSERT_TRUE(first.reply && second.reply);
  EXPECT_EQ((*first.reply)["sum"].get<uint64_t>(), slow_sum);
  EXPECT_EQ((*second.reply)["sum"].get<uint64_t>(), next_sum);
  EXPECT_EQ(pool_->Stats().queued_ahead, 1u);

  // Slots alternate: a job queued ahead (slot 1) runs, and the one queued ahead of it must go
  // to slot 0. J runs, A is queued ahead of it and then reads its body only after sleeping,
  // while C is queued ahead of A.
  const auto [j, j_sum] = SeededBody(50 * 1024, 5);
  const auto [slow_a, a_sum] = SeededBody(150 * 1024, 6);
  const auto [c, c_sum] = SeededBody(120 * 1024, 7);
  std::promise<JobOutcome> pj, pa, pc;
  pool_->Submit(Job{"j", nlohmann::json({{"job", "sum"}, {"ms", 100}}).dump(), j},
                [&pj](JobOutcome o) { pj.set_value(std::move(o)); });
  pool_->Submit(Job{"a", nlohmann::json({{"job", "sum"}, {"ms", 300}}).dump(), slow_a},
                [&pa](JobOutcome o) { pa.set_value(std::move(o)); });
  pool_->Submit(Job{"c", nlohmann::json({{"job", "sum"}}).dump(), c},
                [&pc](JobOutcome o) { pc.set_value(std::move(o)); });
  auto oj = pj.get_future().get();
  auto oa = pa.get_future().get();
  auto oc = pc.get_future().get();
  ASSERT_TRUE(oj.reply && oa.reply && oc.reply);
  EXPECT_EQ((*oj.reply)["sum"].get<uint64_t>(), j_sum);
  EXPECT_EQ((*oa.reply)["sum"].get<uint64_t>(), a_sum);
  EXPECT_EQ((*oc.reply)["sum"].get<uint64_t>(), c_sum);
  EXPECT_EQ(pool_->Stats().queued_ahead, 3u);

  // Many jobs of many sizes back to back, each queued ahead of the one running.
  constexpr int kJobs = 60;
  std::vector<std::promise<JobOutcome>> done(kJobs);
  std::vector<uint64_t> sums;
  for (int i = 0; i < kJobs; ++i) {
    auto [body, sum] = SeededBody(1 + (i * 37 % 50) * 5000, 100 + i);
    sums.push_back(sum);
    pool_->Submit(
        Job{"many", nlohmann::json({{"job", "sum"}, {"ms", i % 3}}).dump(), std::move(body)},
        [&done, i](JobOutcome o) { done[i].set_value(std::move(o)); });
  }
  for (int i = 0; i < kJobs; ++i) {
    auto o = done[i].get_future().get();
    ASSERT_TRUE(o.reply) << i;
    EXPECT_EQ((*o.reply)["sum"].get<uint64_t>(), sums[i]) << i;
  }
  const auto stats = pool_->Stats();
  EXPECT_EQ(stats.region_bodies, 5u + kJobs);
  EXPECT_EQ(stats.shared_bodies, 0u);
  EXPECT_GT(stats.queued_ahead, 10u);
}

TEST_F(PoolFixture, WithoutARegionSmallBodiesGoThroughTheSocket) {
  PoolOptions o;
  o.processes = 1;
  o.body_region = false;
  StartPool(o);
  const auto [body, sum] = SeededBody(100 * 1024, 3);
  auto out = Run({{"job", "sum"}}, body);
  ASSERT_TRUE(out.reply) << (out.failure ? out.failure->message : "");
  EXPECT_EQ((*out.reply)["sum"].get<uint64_t>(), sum);
  EXPECT_EQ(pool_->Stats().region_bodies, 0u);
}

TEST_F(PoolFixture, RegionBodySurvivesTheRetryOnAFreshWorker) {
  StartPool(1);
  const auto [body, sum] = SeededBody(10 * 1024, 4);
  CrashOnceMarker marker;
  ASSERT_TRUE(marker.ok());
  auto out = Run({{"job", "crash_once"}, {"marker", marker.path()}}, body);
  ASSERT_TRUE(out.reply) << (out.failure ? out.failure->message : "");
  EXPECT_EQ(out.attempts, 2);
  EXPECT_EQ((*out.reply)["sum"].get<uint64_t>(), sum);  // the retry read it whole
  auto again = Run({{"job", "sum"}}, body);  // the replacement's own region
  ASSERT_TRUE(again.reply);
  EXPECT_EQ((*again.reply)["sum"].get<uint64_t>(), sum);
  EXPECT_EQ(pool_->Stats().region_bodies, 3u);
}

TEST_F(PoolFixture, SharedBodySurvivesTheRetry) {
  StartPool(1);
  auto out = RunCrashOnce(std::string(1 << 20, 'b'));
  ASSERT_TRUE(out.reply) << (out.failure ? out.failure->message : "");
  EXPECT_EQ(out.attempts, 2);
  EXPECT_EQ(pool_->Stats().shared_bodies, 2u);  // the same memfd, sent twice
}

TEST_F(PoolFixture, DocumentOverTheFrameCapFailsWithoutAWorker) {
  PoolOptions o;
  o.processes = 1;
  o.max_frame = 64 * 1024;
  StartPool(o);
  auto out = Run({{"job", "echo"}}, std::string(100 * 1024, 'x'));
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->error_class, ErrorClass::kPermanent);
  EXPECT_NE(out.failure->message.find("exceeds the worker frame cap"), std::string::npos);
  EXPECT_FALSE(out.cause);
  EXPECT_EQ(pool_->Stats().TotalLosses(), 0u);
}

TEST_F(PoolFixture, CpuTimeLimitStopsASpinningJob) {
  PoolOptions o;
  o.processes = 1;
  o.job_timeout = std::chrono::seconds(60);  // the CPU limit must act first
  o.limits.cpu_seconds_per_job = 1;
  o.max_attempts = 1;
  StartPool(o);
  const auto start = std::chrono::steady_clock::now();
  auto out = Run({{"job", "spin"}});
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.cause, FailureCause::kTimeout);
  EXPECT_NE(out.failure->message.find("exceeded its CPU time limit of 1 s"), std::string::npos)
      << out.failure->message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  // The limit moves with each job: a worker that has used CPU before still gets its budget.
  auto ok = Run({{"job", "echo"}, {"value", 3}});
  EXPECT_TRUE(ok.reply);
}

TEST_F(PoolFixture, OutOfMemoryIsRetriedAndReportedAsOom) {
  PoolOptions o;
  o.processes = 1;
  // Small, and a deadline that is not under test: page faults are slow on a loaded machine
  // (filling 512 MiB took over 10 s here with the other core busy).
  o.limits.address_space = 256ull << 20;
  o.job_timeout = std::chrono::seconds(60);
  StartPool(o);
  auto out = Run({{"job", "oom"}});
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.cause, FailureCause::kOutOfMemory);
  EXPECT_EQ(out.attempts, 2);
  EXPECT_EQ(out.failure->message, "worker ran out of memory (limit 256 MiB) twice");
  EXPECT_EQ(pool_->Stats().Losses(FailureCause::kOutOfMemory), 2u);
  EXPECT_TRUE(Run({{"job", "echo"}}).reply);
}

TEST_F(PoolFixture, SigkillFromOutsideCountsAsOom) {
  StartPool(1);
  auto out = Run({{"job", "sigkill"}});
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.cause, FailureCause::kOutOfMemory);
  EXPECT_NE(out.failure->message.find("out-of-memory killer"), std::string::npos)
      << out.failure->message;
}

TEST_F(PoolFixture, CorruptReplyIsAProtocolFailure) {
  StartPool(1);
  auto out = Run({{"job", "garbage"}});
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.cause, FailureCause::kProtocol);
  EXPECT_EQ(out.failure->message, "worker sent a corrupt reply: bad frame magic twice");
  EXPECT_EQ(pool_->Stats().Losses(FailureCause::kProtocol), 2u);
  EXPECT_TRUE(Run({{"job", "echo"}}).reply);
}

TEST_F(PoolFixture, DroppedConnectionIsKilledAfterTheGrace) {
  PoolOptions o;
  o.processes = 1;
  o.exit_grace = std::chrono::milliseconds(100);
  StartPool(o);
  auto out = Run({{"job", "close"}});
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.cause, FailureCause::kProtocol);
  EXPECT_EQ(out.failure->message, "worker closed its connection without exiting twice");
}

// Every job kills its worker: respawns must slow down (the brake), and recover once a job
// completes again.
TEST_F(PoolFixture, CrashLoopBrakeSlowsRespawnsDown) {
  StartPool(1);
  // One worker: spawns at start and after the first loss are immediate; from the second loss
  // on (two spawns within the window) each respawn waits, twice as long as the one before.
  std::vector<int64_t> delays;
  for (uint64_t engagements : {1u, 3u}) {
    auto out = Run({{"job", "crash"}});
    ASSERT_TRUE(out.failure);
    // The respawn after the loss is scheduled right after the job's callback.
    ASSERT_TRUE(WaitFor([&] { return pool_->Stats().brake_engagements == engagements; }));
    delays.push_back(pool_->Stats().respawn_delay_ms);
  }
  EXPECT_TRUE(pool_->Stats().brake_active);
  EXPECT_GT(delays[0], 0);
  EXPECT_GT(delays[1], delays[0]);
  // A worker that completes a job releases the brake.
  auto ok = Run({{"job", "echo"}, {"value", 4}});
  ASSERT_TRUE(ok.reply);
  EXPECT_FALSE(pool_->Stats().brake_active);
  EXPECT_EQ(pool_->Stats().respawn_delay_ms, 0);
}

TEST_F(PoolFixture, StatsAsJson) {
  StartPool(2);
  ASSERT_TRUE(Run({{"job", "echo"}}).reply);
  auto j = ToJson(pool_->Stats());
  EXPECT_EQ(j["configured"], 2);
  EXPECT_EQ(j["jobs"]["completed"], 1);
  EXPECT_EQ(j["jobs"]["submitted"], 1);
  EXPECT_EQ(j["failures"]["crash"], 0);
  EXPECT_EQ(j["failures"]["oom"], 0);
  EXPECT_EQ(j["brake"]["active"], false);
  EXPECT_TRUE(WaitFor([&] { return pool_->Stats().processes == 2; }));
}

}  // namespace
}  // namespace tributary::merge::pool
