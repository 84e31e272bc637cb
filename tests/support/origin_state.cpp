#include "tests/support/origin_state.hpp"

#include <cctype>
#include <fstream>
#include <sstream>

namespace tributary::test_support {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string ContentTypeFor(const std::string& path) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".xml", "application/xml"},
      {".rss", "application/rss+xml"},
      {".atom", "application/atom+xml"},
      {".json", "application/json"},
      {".csv", "text/csv; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".md", "text/markdown; charset=utf-8"},
      {".css", "text/css"},
      {".js", "text/javascript"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
  };
  const size_t dot = path.rfind('.');
  const size_t slash = path.rfind('/');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash)) {
    const auto it = kTypes.find(Lower(path.substr(dot)));
    if (it != kTypes.end()) return it->second;
  }
  return "application/octet-stream";
}

Response NotFound(const std::string& why) {
  Response r;
  r.status = 404;
  r.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
  r.body = why + "\n";
  return r;
}

}  // namespace

std::string RecordedRequest::Header(std::string_view name) const {
  const std::string wanted = Lower(name);
  for (const auto& [n, v] : headers) {
    if (n == wanted) return v;
  }
  return {};
}

void OriginState::Route(std::string path, Response response) {
  Route(std::move(path), [response](const RecordedRequest&) { return response; });
}

void OriginState::Route(std::string path, Handler handler) {
  std::lock_guard lock(mu_);
  routes_[std::move(path)] = std::move(handler);
}

void OriginState::RouteSequence(std::string path, std::vector<Response> responses) {
  auto next = std::make_shared<size_t>(0);
  Route(std::move(path), [responses = std::move(responses), next](const RecordedRequest&) {
    const size_t i = std::min(*next, responses.size() - 1);
    ++*next;  // handlers run under the state's lock: one at a time
    return responses[i];
  });
}

void OriginState::Finished(size_t index) {
  std::lock_guard lock(mu_);
  if (index < requests_.size() && !requests_[index].finished) {
    requests_[index].finished = std::chrono::steady_clock::now();
  }
}

void OriginState::ServeDirectory(std::string url_prefix, std::string dir) {
  std::lock_guard lock(mu_);
  directories_.emplace_back(std::move(url_prefix), std::move(dir));
}

std::pair<Response, size_t> OriginState::Handle(RecordedRequest request) {
  std::unique_lock lock(mu_);
  const std::string target = request.target;
  const std::string path = request.path;
  const size_t index = requests_.size();
  ++hits_[path];
  requests_.push_back(std::move(request));
  hit_cv_.notify_all();
  const RecordedRequest& r = requests_.back();
  Response response;
  if (auto it = routes_.find(target); it != routes_.end()) {
    response = it->second(r);
  } else if (auto it2 = routes_.find(path); it2 != routes_.end()) {
    response = it2->second(r);
  } else {
    response = FromDirectories(path);
  }
  if (!response.etag.empty()) response.headers.emplace_back("ETag", response.etag);
  if (!response.last_modified.empty()) {
    response.headers.emplace_back("Last-Modified", response.last_modified);
  }
  const std::string inm = r.Header("if-none-match");
  const std::string ims = r.Header("if-modified-since");
  const bool etag_matches = !response.etag.empty() && !inm.empty() &&
                            (inm == "*" || inm.find(response.etag) != std::string::npos);
  const bool date_matches =
      inm.empty() && !response.last_modified.empty() && ims == response.last_modified;
  if (response.status == 200 && (etag_matches || date_matches)) {
    response.status = 304;
    response.body.clear();
    response.gzip = false;
  }
  return {std::move(response), index};
}

Response OriginState::FromDirectories(const std::string& path) const {
  const std::pair<std::string, std::string>* best = nullptr;
  for (const auto& entry : directories_) {
    if (path.compare(0, entry.first.size(), entry.first) == 0 &&
        (best == nullptr || entry.first.size() > best->first.size())) {
      best = &entry;
    }
  }
  if (best == nullptr) return NotFound("no route for " + path);
  std::string rest = path.substr(best->first.size());
  if (rest.find("..") != std::string::npos) return NotFound("refusing " + path);
  if (rest.empty() || rest.back() == '/') rest += "index.html";
  std::string file = best->second;
  if (!file.empty() && file.back() != '/' && rest.front() != '/') file += '/';
  file += rest;
  std::ifstream in(file, std::ios::binary);
  if (!in) return NotFound("no file for " + path);
  std::ostringstream body;
  body << in.rdbuf();
  Response r;
  r.headers = {{"Content-Type", ContentTypeFor(file)}};
  r.body = body.str();
  return r;
}

uint64_t OriginState::OnConnection() {
  std::lock_guard lock(mu_);
  return ++connections_;
}

size_t OriginState::Hits(const std::string& path) const {
  std::lock_guard lock(mu_);
  const auto it = hits_.find(path);
  return it == hits_.end() ? 0 : it->second;
}

bool OriginState::WaitForHits(const std::string& path, size_t count,
                              std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return hit_cv_.wait_for(lock, timeout, [&] {
    const auto it = hits_.find(path);
    return it != hits_.end() && it->second >= count;
  });
}

std::vector<RecordedRequest> OriginState::Requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

size_t OriginState::Connections() const {
  std::lock_guard lock(mu_);
  return connections_;
}

}  // namespace tributary::test_support
