#pragma once
// Test harness: runs the real tributary binary as a child process and talks to it over HTTP,
// as a user would. Every wait is bounded; nothing here sleeps blindly.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tributary::testing {

struct HttpReply {
  long status = 0;  // 0 when no response
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string error;                           // transport error
  nlohmann::json Json() const;
};

HttpReply HttpRequest(const std::string& method, const std::string& url,
                      const std::string& body = {}, const std::vector<std::string>& headers = {});

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs the tributary binary with `args` (plus environment additions) to completion.
CommandResult RunTributary(const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env = {});

// Calls `condition` until it returns true or `limit` passes (short pauses between tries).
bool WaitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds limit = std::chrono::seconds(20));

// A temporary directory removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

class DaemonProcess {
 public:
  // Writes `config` to dir/config.json and runs `tributary serve --config` on it; waits for the
  // "API listening on" line. Returns nullptr (with the reason in `error`) when it did not start.
  static std::unique_ptr<DaemonProcess> Start(const std::string& dir, const nlohmann::json& config,
                                              std::string* error);
  ~DaemonProcess();  // SIGKILL if still running

  const std::string& base_url() const { return base_url_; }
  pid_t pid() const { return pid_; }  // -1 once terminated
  HttpReply Get(const std::string& path) const;
  void Signal(int sig) const;
  // Sends SIGTERM and waits up to `limit`; returns the exit status, or nullopt on timeout.
  std::optional<int> Terminate(std::chrono::milliseconds limit = std::chrono::seconds(10));
  std::string Log() const;  // the daemon's stderr so far
  const std::string& config_path() const { return config_path_; }

 private:
  pid_t pid_ = -1;
  std::string base_url_;
  std::string log_path_;
  std::string config_path_;
};

std::string TributaryBinary();
std::string SourceDir();

}  // namespace tributary::testing
