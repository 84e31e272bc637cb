#include "merge/pool/worker_pool.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <future>
#include <set>
#include <thread>

namespace tributary::merge::pool {
namespace {

// A pool of test workers (pool_test_worker) on its own io thread.
class PoolFixture : public ::testing::Test {
 protected:
  void StartPool(int processes, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    // Under AddressSanitizer a SIGSEGV would be caught and turned into exit(1); let the test
    // workers die by the signal itself, as they do in a normal build.
    const char* asan = std::getenv("ASAN_OPTIONS");
    const std::string options = std::string(asan ? asan : "") + ":handle_segv=0";
    setenv("ASAN_OPTIONS", options.c_str(), 1);
    PoolOptions o;
    o.worker_exe = POOL_TEST_WORKER;
    o.worker_args = {};
    o.processes = processes;
    o.job_timeout = timeout;
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
    pool_->Submit(Job{"test", std::move(meta), std::move(body)},
                  [&p](JobOutcome o) { p.set_value(std::move(o)); });
    EXPECT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    return f.get();
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
    pool_->Submit(Job{"test", {{"job", "echo"}, {"value", i}}, {}},
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
  EXPECT_EQ(pool_->Stats().worker_crashes, 2u);
  EXPECT_EQ(pool_->Stats().jobs_failed, 1u);
}

TEST_F(PoolFixture, RetrySucceedsOnAFreshWorker) {
  StartPool(1);
  char dir[] = "/tmp/pooltestXXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string marker = std::string(dir) + "/marker";
  auto out = Run({{"job", "crash_once"}, {"marker", marker}});
  ASSERT_TRUE(out.reply) << (out.failure ? out.failure->message : "");
  EXPECT_EQ(out.attempts, 2);
  unlink(marker.c_str());
  rmdir(dir);
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
  EXPECT_EQ(pool_->Stats().worker_timeouts, 2u);
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
  EXPECT_EQ(pool_->Stats().worker_crashes, 0u);
}

TEST_F(PoolFixture, StopFailsQueuedJobsExactlyOnce) {
  StartPool(1);
  std::promise<JobOutcome> hung, queued;
  pool_->Submit(Job{"a", {{"job", "hang"}}, {}}, [&](JobOutcome o) { hung.set_value(o); });
  pool_->Submit(Job{"b", {{"job", "echo"}}, {}}, [&](JobOutcome o) { queued.set_value(o); });
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

}  // namespace
}  // namespace tributary::merge::pool
