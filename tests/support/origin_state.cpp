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
  std::lock_guard lock(mu_);
  routes_[std::move(path)] = std::move(response);
}

void OriginState::ServeDirectory(std::string url_prefix, std::string dir) {
  std::lock_guard lock(mu_);
  directories_.emplace_back(std::move(url_prefix), std::move(dir));
}

Response OriginState::Handle(RecordedRequest request) {
  std::unique_lock lock(mu_);
  const std::string target = request.target;
  const std::string path = request.path;
  ++hits_[path];
  requests_.push_back(std::move(request));
  hit_cv_.notify_all();
  if (auto it = routes_.find(target); it != routes_.end()) return it->second;
  if (auto it = routes_.find(path); it != routes_.end()) return it->second;
  return FromDirectories(path);
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
