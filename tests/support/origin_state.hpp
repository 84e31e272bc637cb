#pragma once
// What the test origin answers and what it has seen: routes, served directories, recorded
// requests, hit counts and the number of connections accepted.
// Thread safety: every method may be called from any thread (the origin's I/O thread records,
// the test thread configures and inspects).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tributary::test_support {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// A canned answer, with the faults a test may inject into it.
struct Response {
  int status = 200;
  HeaderList headers;  // sent as given (Content-Type, Location, ...)
  std::string body;
  std::chrono::milliseconds delay{0};  // answer after this long (an async timer)
  bool close_without_reply = false;    // drop the connection instead of answering
  bool gzip = false;                   // Content-Encoding: gzip (when GzipAvailable())

  // Validators: a request whose If-None-Match lists `etag`, or whose If-Modified-Since is not
  // before `last_modified` (compared as text), gets 304 Not Modified without a body.
  std::string etag{};           // sent as ETag, e.g. "\"v1\""
  std::string last_modified{};  // sent as Last-Modified (an HTTP-date)

  // Dripping: the header block, then the body, are written `drip_bytes` at a time with
  // `drip_interval` before each piece (0 bytes: all at once). drip_headers drips the header
  // block too (slow headers).
  size_t drip_bytes = 0;
  std::chrono::milliseconds drip_interval{0};
  bool drip_headers = false;
  // Reset the connection (RST) after this many body bytes.
  std::optional<size_t> reset_after{};
  // Announce this many more body bytes in Content-Length than are sent, then close.
  size_t missing_bytes = 0;
};

struct RecordedRequest;
// Computes the answer to a request (for validators, sequences, counters ...).
using Handler = std::function<Response(const RecordedRequest&)>;

// A request as the origin received it.
struct RecordedRequest {
  std::string method;
  std::string target;  // as sent: path and query
  std::string path;    // target without the query
  std::string body;
  HeaderList headers;       // names lower-cased
  uint64_t connection = 0;  // which accepted connection (1, 2, ...) carried it
  std::string origin;       // the origin's own address, e.g. "127.0.0.5"
  // When the request had been read, and when its answer was written (or abandoned); `finished`
  // stays unset while it is being answered. Tests derive spacing and concurrency from these.
  std::chrono::steady_clock::time_point received{};
  std::optional<std::chrono::steady_clock::time_point> finished;

  // The first value of header `name` (case-insensitive), or "" when absent.
  std::string Header(std::string_view name) const;
};

class OriginState {
 public:
  void Route(std::string path, Response response);
  // Answers from a handler; a sequence: the n-th request gets responses[min(n, size - 1)].
  void Route(std::string path, Handler handler);
  void RouteSequence(std::string path, std::vector<Response> responses);
  void ServeDirectory(std::string url_prefix, std::string dir);

  // Records `request` and returns the answer and the request's index in the log: a route for
  // its exact target or path, else a file under the longest matching directory prefix, else
  // 404. A 304 replaces the answer when the request's validators match it.
  std::pair<Response, size_t> Handle(RecordedRequest request);
  // The request with log index `index` has been answered (or abandoned).
  void Finished(size_t index);
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
  std::map<std::string, Handler> routes_;
  std::vector<std::pair<std::string, std::string>> directories_;  // url prefix, directory
  std::map<std::string, size_t> hits_;
  std::vector<RecordedRequest> requests_;
  uint64_t connections_ = 0;
};

}  // namespace tributary::test_support
