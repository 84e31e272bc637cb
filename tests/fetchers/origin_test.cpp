// The loopback test origin itself: directories, recording, and the stand-alone program.
#include "tests/support/origin.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "fetchers/fetcher.hpp"
#include "tests/fetchers/fetch_test_util.hpp"

extern char** environ;

namespace tributary::fetchers {
namespace {

using test_support::TestOrigin;

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/tributary-origin-XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  void Write(const std::string& name, const std::string& content) const {
    std::filesystem::create_directories(std::filesystem::path(path_ + "/" + name).parent_path());
    std::ofstream(path_ + "/" + name, std::ios::binary) << content;
  }

 private:
  std::string path_;
};

TEST(TestOriginTest, ServesDirectoriesWithContentTypes) {
  TempDir dir;
  dir.Write("index.html", "<h1>hi</h1>");
  dir.Write("feeds/news.xml", "<rss/>");
  dir.Write("data/items.json", "[]");
  dir.Write("data/table.csv", "a,b\n");
  TestOrigin origin;
  origin.ServeDirectory("/site/", dir.path());
  origin.Route("/site/override.json", {200, {{"Content-Type", "x/override"}}, "{}"});
  Fetcher fetcher(FetcherOptions{1});

  const struct {
    std::string path;
    std::string type;
    std::string body;
  } cases[] = {{"/site/", "text/html; charset=utf-8", "<h1>hi</h1>"},
               {"/site/feeds/news.xml", "application/xml", "<rss/>"},
               {"/site/data/items.json?x=1", "application/json", "[]"},
               {"/site/data/table.csv", "text/csv; charset=utf-8", "a,b\n"},
               {"/site/override.json", "x/override", "{}"}};
  for (const auto& c : cases) {
    const FetchResult r = FetchSync(fetcher, LoopbackRequest(origin.Url(c.path)));
    ASSERT_FALSE(r.error) << c.path << ": " << r.error->message;
    EXPECT_EQ(r.content_type, c.type) << c.path;
    EXPECT_EQ(r.body, c.body) << c.path;
  }
  for (const char* path : {"/site/missing.xml", "/site/../etc/passwd", "/elsewhere"}) {
    const FetchResult r = FetchSync(fetcher, LoopbackRequest(origin.Url(path)));
    EXPECT_EQ(r.status, 404) << path;
  }
  EXPECT_EQ(origin.Hits("/site/data/items.json"), 1u);
}

TEST(TestOriginTest, RecordsRequestsAndRouteChanges) {
  TestOrigin origin;
  Fetcher fetcher(FetcherOptions{1});
  origin.Route("/r", {200, {}, "one"});
  EXPECT_EQ(FetchSync(fetcher, LoopbackRequest(origin.Url("/r?a=b"))).body, "one");
  origin.Route("/r", {200, {}, "two"});
  origin.Route("/r?special", {200, {}, "exact"});
  EXPECT_EQ(FetchSync(fetcher, LoopbackRequest(origin.Url("/r"))).body, "two");
  EXPECT_EQ(FetchSync(fetcher, LoopbackRequest(origin.Url("/r?special"))).body, "exact");
  const auto requests = origin.Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/r?a=b");
  EXPECT_EQ(requests[0].path, "/r");
  EXPECT_EQ(requests[0].Header("Host"), "127.0.0.1:" + std::to_string(origin.port()));
  EXPECT_EQ(origin.Hits("/r"), 3u);
  EXPECT_EQ(origin.Url("/x"), "http://127.0.0.1:" + std::to_string(origin.port()) + "/x");
}

TEST(TestOriginTest, StopRefusesAndDropsConnections) {
  TestOrigin origin;
  origin.Route("/doc", {200, {}, "ok"});
  Fetcher fetcher(FetcherOptions{1});
  ASSERT_FALSE(FetchSync(fetcher, LoopbackRequest(origin.Url("/doc"))).error);
  origin.Stop();
  const FetchResult r = FetchSync(fetcher, LoopbackRequest(origin.Url("/doc")));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error_class, ErrorClass::kRetryable) << r.error->message;
  EXPECT_EQ(origin.Hits("/doc"), 1u);
}

TEST(TestOriginTest, ProgramServesADirectory) {
  TempDir dir;
  dir.Write("hello.txt", "hello from disk");
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::string exe = TEST_ORIGIN_MAIN;
  std::string dir_arg = dir.path();
  char dir_flag[] = "--dir";
  char port_flag[] = "--port";
  char port_value[] = "0";
  char* argv[] = {exe.data(), dir_flag, dir_arg.data(), port_flag, port_value, nullptr};
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv, environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);

  FILE* child_out = fdopen(out[0], "r");
  ASSERT_NE(child_out, nullptr);
  char line[128] = {};
  ASSERT_NE(fgets(line, sizeof line, child_out), nullptr);  // blocks until it listens
  unsigned port = 0;
  ASSERT_EQ(std::sscanf(line, "listening on 127.0.0.1:%u", &port), 1) << line;

  {
    Fetcher fetcher(FetcherOptions{1});
    const FetchResult r = FetchSync(
        fetcher, LoopbackRequest("http://127.0.0.1:" + std::to_string(port) + "/hello.txt"));
    ASSERT_FALSE(r.error) << r.error->message;
    EXPECT_EQ(r.body, "hello from disk");
    EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  }
  kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  fclose(child_out);
}

}  // namespace
}  // namespace tributary::fetchers
