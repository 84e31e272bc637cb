#pragma once
// Shared set-up of the API integration tests: the bundled example configuration pointed at a
// loopback origin, a daemon started on it, and waiting for its views to fill.

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>

#include "tests/integration/daemon_process.hpp"
#include "tests/support/origin.hpp"

namespace tributary::testing {

inline nlohmann::json ApiExampleConfig(const test_support::TestOrigin& origin,
                                       const std::string& data_dir) {
  std::ifstream in(SourceDir() + "/examples/config.json");
  nlohmann::json config = nlohmann::json::parse(in);
  config["listen"] = "127.0.0.1:0";
  config["data_dir"] = data_dir;
  config["log"]["level"] = "debug";
  for (auto& s : config["sources"]) {
    std::string url = s["url"];
    url.replace(url.find("${EXAMPLE_ORIGIN}"), 17, origin.Url(""));
    s["url"] = url;
  }
  return config;
}

class ApiTestBase : public ::testing::Test {
 protected:
  void SetUp() override { origin_.ServeDirectory("/", SourceDir() + "/examples/site"); }

  std::unique_ptr<DaemonProcess> Start(const nlohmann::json& config) {
    std::string error;
    auto d = DaemonProcess::Start(dir_.path(), config, &error);
    EXPECT_NE(d, nullptr) << error;
    return d;
  }

  HttpReply Call(const DaemonProcess& d, const std::string& method, const std::string& path,
                 const std::string& body = {}, std::vector<std::string> headers = {}) {
    return HttpRequest(method, d.base_url() + path, body, headers);
  }

  // Waits until both sources are merged into the books view (6 records, one with 2 sources).
  void WaitForBooks(const DaemonProcess& d, const std::vector<std::string>& headers = {}) {
    const bool ok = WaitUntil([&] {
      auto reply = Call(d, "GET", "/api/v1/views/books/records", {}, headers);
      if (reply.status != 200) return false;
      const auto records = reply.Json()["records"];
      if (records.size() != 6) return false;
      for (const auto& r : records) {
        if (r["sources"].size() == 2) return true;
      }
      return false;
    });
    ASSERT_TRUE(ok) << d.Log();
  }

  TempDir dir_;
  test_support::TestOrigin origin_;
};

}  // namespace tributary::testing
