#pragma once
// What the test origin answers and what it has seen: routes, served directories, recorded
// requests, hit counts and the number of connections accepted.
// Thread safety: every method may be called from any thread (the origin's I/O thread records,
// the test thread configures and inspects).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tributary::test_support {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// A canned answer.
struct Response {
  int status = 200;
  HeaderList headers;  // sent as given (Content-Type, Location, ...)
  std::string body;
  std::chrono::milliseconds delay{0};  // answer after this long (an async timer)
  bool close_without_reply = false;    // drop the connection instead of answering
  bool gzip = false;                   // Content-Encoding: gzip (when GzipAvailable())
};

// A request as the origin received it.
struct RecordedRequest {
  std::string method;
  std::string target;  // as sent: path and query
  std::string path;    // target without the query
  std::string body;
  HeaderList headers;       // names lower-cased
  uint64_t connection = 0;  // which accepted connection (1, 2, ...) carried it

  // The first value of header `name` (case-insensitive), or "" when absent.
  std::string Header(std::string_view name) const;
};

class OriginState {
 public:
  void Route(std::string path, Response response);
  void ServeDirectory(std::string url_prefix, std::string dir);

  // Records `request` and returns the answer: a route for its exact target or path, else a file
  // under the longest matching directory prefix, else 404.
  Response Handle(RecordedRequest request);
  uint64_t OnConnection();

  size_t Hits(const std::string& path) const;
  bool WaitForHits(const std::string& path, size_t count, std::chrono::milliseconds timeout) const;
  std::vector<RecordedRequest> Requests() const;
  size_t Connections() const;

 private:
  Response FromDirectories(const std::string& path) const;

  mutable std::mutex mu_;
  mutable std::condition_variable hit_cv_;
  // Guarded by mu_.
  std::map<std::string, Response> routes_;
  std::vector<std::pair<std::string, std::string>> directories_;  // url prefix, directory
  std::map<std::string, size_t> hits_;
  std::vector<RecordedRequest> requests_;
  uint64_t connections_ = 0;
};

}  // namespace tributary::test_support
