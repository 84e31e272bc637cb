#include "fetchers/transfer.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <exception>
#include <limits>
#include <string_view>
#include <utility>

#include "common/log.hpp"
#include "fetchers/address_guard.hpp"
#include "fetchers/classify.hpp"
#include "fetchers/proxy_env.hpp"
#include "fetchers/url_host.hpp"

namespace tributary::fetchers {
namespace {

std::atomic<uint64_t> g_next_id{1};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool HasHeader(const Headers& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return Lower(h.first) == name; });
}

}  // namespace

// Decoded bodies smaller than this are never judged by their compression ratio: small pages of
// repetitive markup compress very well and are harmless.
constexpr uint64_t kRatioCheckFrom = 64 * 1024;
constexpr long kReceiveBuffer = 64 * 1024;
constexpr uint64_t kMaxBodyReserve = 1 << 20;

Transfer::Transfer(const FetchRequest& request)
    : id_(g_next_id.fetch_add(1, std::memory_order_relaxed)),
      request_(&request),
      started_(std::chrono::system_clock::now()),
      start_(std::chrono::steady_clock::now()) {}

Transfer::~Transfer() {
  if (easy_ != nullptr) curl_easy_cleanup(easy_);
  curl_slist_free_all(header_list_);
  curl_slist_free_all(resolve_list_);
}

Status Transfer::Prepare(std::function<void(bool first)> on_sent, ConnectionSockets* sockets,
                         CURL* reuse) {
  on_sent_ = std::move(on_sent);
  sockets_ = sockets;
  headers_.reserve(16);  // a typical response's header lines, without growing the vector
  if (reuse != nullptr) {
    // The cookie engine first: its cookies survive a reset (those of the transfer before,
    // another source's perhaps), and so does, leaked, the list of cookie files CURLOPT_COOKIEFILE
    // built (libcurl 7.88's reset forgets it without freeing it). A null cookie file frees the
    // list, drops every cookie and stops the engine. Then every option back to its default.
    // Kept on purpose: TLS session IDs (keyed by host, port and verification settings), as the
    // multi handle keeps connections for every source anyway.
    curl_easy_setopt(reuse, CURLOPT_COOKIEFILE, nullptr);
    curl_easy_reset(reuse);
    // A handle still holding its receive buffer (libcurl keeps it after some transfers: HTTP/2
    // on a shared connection, some early failures) refuses a new buffer size: not reused.
    if (curl_easy_setopt(reuse, CURLOPT_BUFFERSIZE, kReceiveBuffer) != CURLE_OK) {
      curl_easy_cleanup(reuse);
      reuse = nullptr;
    }
  }
  easy_ = reuse != nullptr ? reuse : curl_easy_init();
  if (easy_ == nullptr) return Error::Retryable("curl_easy_init failed");

  for (const auto& [name, value] : request_->headers) {
    // "Name;" is how libcurl is told to send a header with an empty value.
    const std::string line = value.empty() ? name + ";" : name + ": " + value;
    curl_slist* grown = curl_slist_append(header_list_, line.c_str());
    if (grown == nullptr) return Error::Retryable("out of memory building request headers");
    header_list_ = grown;
  }
  if (!request_->body.empty() && !HasHeader(request_->headers, "expect")) {
    // libcurl would wait up to a second for "100 Continue" before sending a large body.
    curl_slist* grown = curl_slist_append(header_list_, "Expect:");
    if (grown == nullptr) return Error::Retryable("out of memory building request headers");
    header_list_ = grown;
  }

  CURLcode rc = CURLE_OK;
  const char* failed_option = "";
  const auto check = [&](const char* option, CURLcode r) {
    if (rc == CURLE_OK && r != CURLE_OK) {
      rc = r;
      failed_option = option;
    }
  };
  check("URL", curl_easy_setopt(easy_, CURLOPT_URL, request_->url.c_str()));
  check("PROTOCOLS_STR", curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https,file"));
  check("REDIR_PROTOCOLS_STR", curl_easy_setopt(easy_, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
  check("NOSIGNAL", curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L));
  // Debian 12's curl 7.88 can otherwise block the I/O thread joining its resolver thread when a
  // transfer times out mid-DNS.
  check("QUICK_EXIT", curl_easy_setopt(easy_, CURLOPT_QUICK_EXIT, 1L));
  check("ERRORBUFFER", curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_buffer_));
  check("USERAGENT", curl_easy_setopt(easy_, CURLOPT_USERAGENT, request_->user_agent.c_str()));
  check("HTTPHEADER", curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, header_list_));
  check("ACCEPT_ENCODING", curl_easy_setopt(easy_, CURLOPT_ACCEPT_ENCODING, ""));
  check("TIMEOUT_MS",
        curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, static_cast<long>(request_->timeout.count())));
  check("CONNECTTIMEOUT_MS",
        curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(request_->connect_timeout.count())));
  if (request_->max_redirects > 0) {
    check("FOLLOWLOCATION", curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 1L));
    check("MAXREDIRS",
          curl_easy_setopt(easy_, CURLOPT_MAXREDIRS, static_cast<long>(request_->max_redirects)));
  }
  if (request_->max_body < static_cast<uint64_t>(std::numeric_limits<curl_off_t>::max())) {
    // Refuses early when Content-Length already says too much; OnWrite enforces the rest.
    check("MAXFILESIZE_LARGE", curl_easy_setopt(easy_, CURLOPT_MAXFILESIZE_LARGE,
                                                static_cast<curl_off_t>(request_->max_body)));
  }
  if (request_->method == "HEAD") {
    check("NOBODY", curl_easy_setopt(easy_, CURLOPT_NOBODY, 1L));
  } else if (request_->method != "GET" && request_->method != "POST") {
    check("CUSTOMREQUEST",
          curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, request_->method.c_str()));
  }
  if (request_->method == "POST" || !request_->body.empty()) {
    check("POSTFIELDSIZE_LARGE", curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE,
                                                  static_cast<curl_off_t>(request_->body.size())));
    check("POSTFIELDS", curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, request_->body.c_str()));
  }
  // A larger receive buffer than libcurl's 16 KiB (the curl tool uses 100 KiB): a page of
  // tens of KiB arrives in one read and one write callback instead of several.
  check("BUFFERSIZE", curl_easy_setopt(easy_, CURLOPT_BUFFERSIZE, kReceiveBuffer));
  check("WRITEFUNCTION", curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &Transfer::OnWrite));
  check("WRITEDATA", curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this));
  check("HEADERFUNCTION", curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &Transfer::OnHeader));
  check("HEADERDATA", curl_easy_setopt(easy_, CURLOPT_HEADERDATA, this));
  // HTTP/2 when the server offers it over TLS (ALPN). For https, wait for a connection being
  // set up rather than open a second one, so multiplexing keeps the connection count down; for
  // plain http (HTTP/1.1) waiting would only serialise requests.
  check("HTTP_VERSION", curl_easy_setopt(easy_, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS));
  if (request_->url.compare(0, 8, "https://") == 0) {
    check("PIPEWAIT", curl_easy_setopt(easy_, CURLOPT_PIPEWAIT, 1L));
  }
  if (request_->low_speed_limit > 0 && request_->low_speed_time.count() > 0) {
    const long seconds =
        std::max<long>(1, static_cast<long>((request_->low_speed_time.count() + 999) / 1000));
    check("LOW_SPEED_LIMIT",
          curl_easy_setopt(easy_, CURLOPT_LOW_SPEED_LIMIT, request_->low_speed_limit));
    check("LOW_SPEED_TIME", curl_easy_setopt(easy_, CURLOPT_LOW_SPEED_TIME, seconds));
  }
  if (!request_->basic_user.empty()) {
    check("HTTPAUTH", curl_easy_setopt(easy_, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC)));
    check("USERNAME", curl_easy_setopt(easy_, CURLOPT_USERNAME, request_->basic_user.c_str()));
    check("PASSWORD", curl_easy_setopt(easy_, CURLOPT_PASSWORD, request_->basic_password.c_str()));
  } else if (!request_->bearer_token.empty()) {
    check("HTTPAUTH",
          curl_easy_setopt(easy_, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BEARER)));
    check("XOAUTH2_BEARER",
          curl_easy_setopt(easy_, CURLOPT_XOAUTH2_BEARER, request_->bearer_token.c_str()));
  }
  // The cookie engine keeps cookies set during a redirect chain; the configured ones are
  // host-only cookies of the source's host, so a redirect to another host does not carry them.
  check("COOKIEFILE", curl_easy_setopt(easy_, CURLOPT_COOKIEFILE, ""));
  if (!request_->cookies.empty()) {
    const std::string host = HostOf(request_->url);
    std::string_view rest = request_->cookies;
    while (!rest.empty()) {
      const size_t semi = rest.find(';');
      const std::string_view pair = Trim(rest.substr(0, semi));
      rest.remove_prefix(semi == std::string_view::npos ? rest.size() : semi + 1);
      const size_t eq = pair.find('=');
      if (pair.empty() || eq == std::string_view::npos) continue;
      // Netscape cookie-file line: domain, include subdomains, path, secure, expiry, name, value.
      const std::string line = host + "\tFALSE\t/\tFALSE\t0\t" + std::string(pair.substr(0, eq)) +
                               "\t" + std::string(pair.substr(eq + 1));
      check("COOKIELIST", curl_easy_setopt(easy_, CURLOPT_COOKIELIST, line.c_str()));
    }
  }
  // The proxy is decided here, the environment's included, and always set explicitly, so that
  // the address guard below knows whether the connection goes to a proxy.
  const std::string proxy = request_->proxy == "direct" ? std::string()
                            : request_->proxy.empty()
                                ? ProxyForUrl(request_->url, ProcessProxyEnv())
                                : request_->proxy;
  check("PROXY", curl_easy_setopt(easy_, CURLOPT_PROXY, proxy.c_str()));
  if (!request_->tls_verify) {
    check("SSL_VERIFYPEER", curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, 0L));
    check("SSL_VERIFYHOST", curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, 0L));
  }
  if (!request_->ca_file.empty()) {
    check("CAINFO", curl_easy_setopt(easy_, CURLOPT_CAINFO, request_->ca_file.c_str()));
  }
  if (!request_->pinned_address.empty()) {
    const std::string host = HostOf(request_->url);
    const std::string address = request_->pinned_address.find(':') != std::string::npos
                                    ? "[" + request_->pinned_address + "]"
                                    : request_->pinned_address;
    for (const char* port : {"80", "443"}) {
      curl_slist* grown =
          curl_slist_append(resolve_list_, (host + ":" + port + ":" + address).c_str());
      if (grown == nullptr) return Error::Retryable("out of memory building the resolve list");
      resolve_list_ = grown;
    }
    const std::string explicit_port = PortOf(request_->url);
    if (!explicit_port.empty() && explicit_port != "80" && explicit_port != "443") {
      curl_slist* grown =
          curl_slist_append(resolve_list_, (host + ":" + explicit_port + ":" + address).c_str());
      if (grown == nullptr) return Error::Retryable("out of memory building the resolve list");
      resolve_list_ = grown;
    }
    check("RESOLVE", curl_easy_setopt(easy_, CURLOPT_RESOLVE, resolve_list_));
  }
  // Through a proxy the connection goes to the proxy (usually on a private address, and the
  // operator's own choice), which resolves the target: the guard can only judge the target's
  // name, so literal private addresses and localhost are refused before anything is sent.
  if (!request_->allow_private_networks && !proxy.empty()) {
    if (const std::string host = HostOf(request_->url); IsPrivateHostName(host)) {
      refused_address_ = host;
      return Error::Permanent("address " + host +
                              " is private; set fetch.allow_private_networks to allow it");
    }
  }
  guard_addresses_ = !request_->allow_private_networks && proxy.empty();
  if (guard_addresses_ || sockets_ != nullptr) {
    check("OPENSOCKETFUNCTION",
          curl_easy_setopt(easy_, CURLOPT_OPENSOCKETFUNCTION, &Transfer::OnOpenSocket));
    check("OPENSOCKETDATA", curl_easy_setopt(easy_, CURLOPT_OPENSOCKETDATA, this));
  }
  if (sockets_ != nullptr) {
    // A connection keeps the close callback and its data of the transfer that opened it, and
    // may outlive that transfer: the data is the long-lived `sockets`, never `this`.
    check("CLOSESOCKETFUNCTION",
          curl_easy_setopt(easy_, CURLOPT_CLOSESOCKETFUNCTION, &Transfer::OnCloseSocket));
    check("CLOSESOCKETDATA", curl_easy_setopt(easy_, CURLOPT_CLOSESOCKETDATA, sockets_));
  }
  // Always: the guard for reused connections, and the moment the request goes out, from which
  // the politeness group counts its spacing.
  check("PREREQFUNCTION", curl_easy_setopt(easy_, CURLOPT_PREREQFUNCTION, &Transfer::OnPrereq));
  check("PREREQDATA", curl_easy_setopt(easy_, CURLOPT_PREREQDATA, this));
  if (rc != CURLE_OK) {
    return Error::Permanent(std::string("libcurl refused option CURLOPT_") + failed_option + ": " +
                            curl_easy_strerror(rc));
  }
  return Status::Ok();
}

// CURLOPT_WRITEFUNCTION
size_t Transfer::OnWrite(char* data, size_t size, size_t count, void* self) noexcept {
  auto* t = static_cast<Transfer*>(self);
  const size_t n = size * count;
  try {
    const FetchRequest& request = *t->request_;
    const uint64_t decoded = t->body_.size() + n;
    curl_off_t wire = 0;
    if (curl_easy_getinfo(t->easy_, CURLINFO_SIZE_DOWNLOAD_T, &wire) != CURLE_OK) wire = 0;
    const uint64_t wire_bytes = static_cast<uint64_t>(std::max<curl_off_t>(wire, 0));
    // libcurl ends the transfer with CURLE_WRITE_ERROR when this returns 0.
    if (wire_bytes > request.max_body) {
      t->abort_reason_ =
          "response body exceeds max_body (" + std::to_string(request.max_body) + " bytes)";
      return 0;
    }
    if (decoded > request.max_decompressed) {
      t->abort_reason_ = "decompressed body exceeds max_decompressed (" +
                         std::to_string(request.max_decompressed) + " bytes)";
      return 0;
    }
    if (decoded >= kRatioCheckFrom && wire_bytes > 0 && request.max_compression_ratio > 0 &&
        static_cast<double>(decoded) >
            request.max_compression_ratio * static_cast<double>(wire_bytes)) {
      t->abort_reason_ = "compression ratio exceeds max_compression_ratio (" +
                         std::to_string(decoded) + " bytes decoded from " +
                         std::to_string(wire_bytes) + "; a compression bomb?)";
      return 0;
    }
    if (t->body_.empty()) {
      // Room for the announced length at once rather than growing by doubling (three
      // reallocations and copies for a 50 KiB page). Capped: a server may announce far more
      // than it sends, and the limits above judge what really arrives.
      curl_off_t announced = -1;
      if (curl_easy_getinfo(t->easy_, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced) ==
              CURLE_OK &&
          announced > 0) {
        t->body_.reserve(static_cast<size_t>(
            std::min<uint64_t>(static_cast<uint64_t>(announced), kMaxBodyReserve)));
      }
    }
    t->body_.append(data, n);
    return n;
  } catch (const std::exception& e) {
    Logger("fetch")->error("fetch={} source={} storing the body failed: {}", t->id_,
                           t->request_->source_id, e.what());
    return 0;
  } catch (...) {
    Logger("fetch")->error("fetch={} source={} storing the body failed", t->id_,
                           t->request_->source_id);
    return 0;
  }
}

// CURLOPT_HEADERFUNCTION
size_t Transfer::OnHeader(char* data, size_t size, size_t count, void* self) noexcept {
  auto* t = static_cast<Transfer*>(self);
  const size_t n = size * count;
  try {
    const std::string_view line(data, n);
    if (line.substr(0, 5) == "HTTP/") {
      // A new response begins (after a redirect or a 100 Continue): keep only the final one's.
      t->headers_.clear();
      t->reason_.clear();
      t->header_bytes_ = 0;
      const size_t code_at = line.find(' ');
      const size_t reason_at =
          code_at == std::string_view::npos ? code_at : line.find(' ', code_at + 1);
      if (reason_at != std::string_view::npos) t->reason_ = Trim(line.substr(reason_at + 1));
    }
    t->header_bytes_ += n;
    if (t->header_bytes_ > t->request_->max_header_size) {
      t->abort_reason_ = "response headers exceed max_header_size (" +
                         std::to_string(t->request_->max_header_size) + " bytes)";
      return 0;  // libcurl ends the transfer with CURLE_WRITE_ERROR
    }
    if (line.substr(0, 5) == "HTTP/") return n;
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      if (!t->headers_.empty()) {
        t->headers_.back().second += ' ';
        t->headers_.back().second += Trim(line);
      }
    } else if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
      const std::string_view name = Trim(line.substr(0, colon));
      auto& [lower_name, value] = t->headers_.emplace_back();
      lower_name.resize(name.size());
      std::transform(name.begin(), name.end(), lower_name.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
      });
      value = Trim(line.substr(colon + 1));
    }
    return n;
  } catch (const std::exception& e) {
    Logger("fetch")->error("fetch={} source={} storing a header failed: {}", t->id_,
                           t->request_->source_id, e.what());
    return 0;
  } catch (...) {
    Logger("fetch")->error("fetch={} source={} storing a header failed", t->id_,
                           t->request_->source_id);
    return 0;
  }
}

// CURLOPT_OPENSOCKETFUNCTION: the SSRF guard, on the address libcurl is about to connect to;
// and the connection sockets' bookkeeping.
curl_socket_t Transfer::OnOpenSocket(void* self, curlsocktype purpose,
                                     curl_sockaddr* address) noexcept {
  auto* t = static_cast<Transfer*>(self);
  try {
    if (purpose != CURLSOCKTYPE_IPCXN || address == nullptr) return CURL_SOCKET_BAD;
    if (t->guard_addresses_ && IsPrivateAddress(&address->addr)) {
      if (!t->refused_address_) t->refused_address_ = FormatAddress(&address->addr);
      return CURL_SOCKET_BAD;
    }
    const curl_socket_t fd =
        socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (fd != CURL_SOCKET_BAD && t->sockets_ != nullptr) {
      try {
        t->sockets_->Opened(fd);
      } catch (...) {
        close(fd);
        throw;
      }
    }
    return fd;
  } catch (...) {
    // Only allocations above can throw (bad_alloc); refusing is the safe answer.
    Logger("fetch")->error("fetch={} source={} opening a socket failed", t->id_,
                           t->request_->source_id);
    return CURL_SOCKET_BAD;
  }
}

// CURLOPT_CLOSESOCKETFUNCTION: called instead of close() for every connection socket.
int Transfer::OnCloseSocket(void* sockets, curl_socket_t fd) noexcept {
  try {
    static_cast<ConnectionSockets*>(sockets)->Closing(fd);
  } catch (...) {
    Logger("fetch")->error("letting go of fd {} before closing it failed", fd);
  }
  return close(fd) == 0 ? 0 : 1;
}

// CURLOPT_PREREQFUNCTION: called when a request is about to go out. The SSRF guard again,
// because a connection reused from the pool (opened for a transfer that allowed private
// networks) never passes through OnOpenSocket; then the shard is told the request is sent.
int Transfer::OnPrereq(void* self, char* primary_ip, char* /*local_ip*/, int /*primary_port*/,
                       int /*local_port*/) noexcept {
  auto* t = static_cast<Transfer*>(self);
  try {
    // No address: no network connection (file://).
    if (t->guard_addresses_ && primary_ip != nullptr && *primary_ip != '\0') {
      const std::string address(primary_ip);
      if (IsPrivateAddressText(address)) {
        if (!t->refused_address_) t->refused_address_ = address;
        return CURL_PREREQFUNC_ABORT;
      }
    }
    const bool first = !t->sent_;
    t->sent_ = true;
    if (t->on_sent_) t->on_sent_(first);
    return CURL_PREREQFUNC_OK;
  } catch (...) {
    Logger("fetch")->error("fetch={} source={} address check before sending failed", t->id_,
                           t->request_->source_id);
    return CURL_PREREQFUNC_ABORT;
  }
}

FetchResult Transfer::BaseResult() const {
  FetchResult r;
  r.source_id = request_->source_id;
  r.url = request_->url;
  r.final_url = request_->url;
  r.started = started_;
  r.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start_);
  return r;
}

FetchResult Transfer::Finish(CURLcode code) {
  FetchResult r = BaseResult();
  char* effective_url = nullptr;
  if (curl_easy_getinfo(easy_, CURLINFO_EFFECTIVE_URL, &effective_url) == CURLE_OK &&
      effective_url != nullptr) {
    r.final_url = effective_url;
  }
  long status = 0;
  if (curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK) r.status = status;
  char* content_type = nullptr;
  if (curl_easy_getinfo(easy_, CURLINFO_CONTENT_TYPE, &content_type) == CURLE_OK &&
      content_type != nullptr) {
    r.content_type = content_type;
  }
  r.headers = std::move(headers_);
  r.bytes = body_.size();
  r.body = std::move(body_);
  curl_off_t wire = 0;
  if (curl_easy_getinfo(easy_, CURLINFO_SIZE_DOWNLOAD_T, &wire) == CURLE_OK && wire > 0) {
    r.wire_bytes = static_cast<uint64_t>(wire);
  }

  if (code == CURLE_WRITE_ERROR && abort_reason_) {
    r.error = Error::Permanent(*abort_reason_);
    r.body.clear();  // a truncated document is of no use to anyone
  } else if (code == CURLE_FILESIZE_EXCEEDED) {
    r.error = Error::Permanent("response body exceeds max_body (" +
                               std::to_string(request_->max_body) + " bytes)");
    r.body.clear();
  } else if ((code == CURLE_COULDNT_CONNECT || code == CURLE_ABORTED_BY_CALLBACK) &&
             refused_address_) {
    r.error = Error::Permanent("address " + *refused_address_ +
                               " is private; set fetch.allow_private_networks to allow it");
  } else if (code != CURLE_OK) {
    r.error = ClassifyCurlError(code, error_buffer_);
  } else if (r.status != 0) {
    r.error = ClassifyHttpStatus(r.status, reason_);
  }
  return r;
}

CURL* Transfer::TakeHandle() {
  CURL* const easy = easy_;
  easy_ = nullptr;
  return easy;
}

FetchResult Transfer::Cancelled() const {
  FetchResult r = BaseResult();
  r.error = Error::Retryable("cancelled");
  return r;
}

FetchResult Transfer::Failed(Error error) const {
  FetchResult r = BaseResult();
  r.error = std::move(error);
  return r;
}

}  // namespace tributary::fetchers
