// What a reload reports: settings that apply at once, and those read only at start-up, which
// are marked "(needs a restart)" so nobody believes a new limit is in force when it is not.
#include "service/api/config_diff.hpp"

#include <gtest/gtest.h>

namespace tributary::service::api {
namespace {

using nlohmann::json;

TEST(ConfigDiff, ServerLimitsNeedARestartLiveApiSettingsDoNot) {
  config::Config before;
  auto after = before;
  EXPECT_EQ(DescribeConfigChanges(before, after)["settings"], json::array());
  EXPECT_EQ(DescribeConfigChanges(before, after)["restart_needed"], false);

  after.api.max_body = 2 << 20;
  after.api.read_timeout = std::chrono::seconds(5);
  auto changes = DescribeConfigChanges(before, after);
  EXPECT_EQ(changes["settings"],
            json({"api.max_body (needs a restart)", "api.read_timeout (needs a restart)"}));
  EXPECT_EQ(changes["restart_needed"], true);

  after = before;
  after.api.cors_origins = {"https://app.example"};
  after.api.max_page_size = 50;
  changes = DescribeConfigChanges(before, after);
  EXPECT_EQ(changes["settings"], json({"api"}));
  EXPECT_EQ(changes["restart_needed"], false);

  after.api.max_connections = 3;
  after.workers.processes = 7;
  after.fetch.io_threads = 5;
  after.fetch.user_agent = "other/1.0";
  changes = DescribeConfigChanges(before, after);
  EXPECT_EQ(changes["settings"],
            json({"fetch.io_threads (needs a restart)", "fetch", "workers (needs a restart)", "api",
                  "api.max_connections (needs a restart)"}));
  EXPECT_EQ(changes["restart_needed"], true);
}

}  // namespace
}  // namespace tributary::service::api
