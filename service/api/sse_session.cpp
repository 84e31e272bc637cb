#include "service/api/sse_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "service/metrics/registry.hpp"

namespace tributary::service::api {

namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {
constexpr int kSendBuffer = 64 << 10;  // bytes the kernel may hold for one SSE client

metrics::Gauge& StreamClients() {
  static auto& g = metrics::DefaultRegistry()
                       .GaugeFamily("tributary_api_stream_clients",
                                    "Clients connected to the change stream (SSE).", {})
                       .With({});
  return g;
}
}  // namespace

SseSession::SseSession(beast::tcp_stream&& stream, std::shared_ptr<EventStream> events,
                       asio::thread_pool& handlers, std::chrono::milliseconds heartbeat,
                       std::chrono::milliseconds write_timeout,
                       std::shared_ptr<std::atomic<size_t>> connections)
    : stream_(std::move(stream)),
      events_(std::move(events)),
      handlers_(handlers),
      heartbeat_(heartbeat),
      write_timeout_(write_timeout),
      connections_(std::move(connections)),
      heartbeat_timer_(stream_.get_executor()) {
  if (connections_) ++*connections_;
  StreamClients().Inc();
}

SseSession::~SseSession() {
  events_->Close();
  StreamClients().Dec();
  if (connections_) --*connections_;
}

void SseSession::Run(std::string header) {
  // The stream's own buffer is what bounds a slow client; left to autotuning, the kernel would
  // queue megabytes more per connection before a write blocks and the client is noticed.
  beast::error_code ignored;
  stream_.socket().set_option(asio::socket_base::send_buffer_size(kSendBuffer), ignored);
  asio::dispatch(stream_.get_executor(), [self = shared_from_this(), header = std::move(header)] {
    self->pull_after_write_ = true;
    self->DoWrite(header);
    self->DoWatchClose();
    self->DoHeartbeat();
  });
}

void SseSession::DoPull() {
  if (closed_) return;
  if (pull_in_flight_) {
    pull_again_ = true;  // a wake raced with the pull in flight
    return;
  }
  if (!writing_.empty()) {
    // Not while the client is still reading the last write: what arrives meanwhile stays in the
    // stream's bounded buffer, which is how a slow client is noticed.
    pull_after_write_ = true;
    return;
  }
  pull_in_flight_ = true;
  pull_again_ = false;
  auto self = shared_from_this();
  asio::post(handlers_, [self] {
    std::string out;
    // The wake comes from any thread; it brings the session back to its strand to pull again.
    std::weak_ptr<SseSession> weak = self;
    auto wake = [weak] {
      if (auto s = weak.lock()) {
        asio::post(s->stream_.get_executor(), [s] { s->DoPull(); });
      }
    };
    EventStream::State state = EventStream::State::kEnd;
    try {
      state = self->events_->Pull(out, wake);
    } catch (const std::exception&) {
      state = EventStream::State::kEnd;
    }
    asio::post(self->stream_.get_executor(), [self, state, out = std::move(out)]() mutable {
      self->OnPulled(state, std::move(out));
    });
  });
}

void SseSession::OnPulled(EventStream::State state, std::string data) {
  pull_in_flight_ = false;
  if (closed_) return;
  if (state == EventStream::State::kEnd) end_after_write_ = true;
  if (state == EventStream::State::kData) pull_after_write_ = true;
  if (!data.empty()) return DoWrite(std::move(data));
  if (end_after_write_ && writing_.empty()) return Shutdown();
  if (state == EventStream::State::kWait && pull_again_) DoPull();
}

void SseSession::DoWrite(std::string data) {
  if (closed_) return;
  if (!writing_.empty()) {
    pending_ += data;
    return;
  }
  writing_ = std::move(data);
  stream_.expires_after(write_timeout_);
  asio::async_write(
      stream_, asio::buffer(writing_),
      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnWrite(ec); });
}

void SseSession::OnWrite(beast::error_code ec) {
  writing_.clear();
  if (ec) return Shutdown();
  if (!pending_.empty()) {
    std::string next;
    next.swap(pending_);
    return DoWrite(std::move(next));
  }
  stream_.expires_never();
  if (end_after_write_) return Shutdown();
  if (pull_after_write_) {
    pull_after_write_ = false;
    DoPull();
  }
}

void SseSession::DoHeartbeat() {
  heartbeat_timer_.expires_after(heartbeat_);
  heartbeat_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->closed_) return;
    // Only while idle: a write in flight already shows the connection is alive.
    if (self->writing_.empty()) self->DoWrite(": heartbeat\n\n");
    self->DoHeartbeat();
  });
}

void SseSession::DoWatchClose() {
  // On the raw socket, so the write deadline of the stream does not apply to this read.
  stream_.socket().async_read_some(asio::buffer(probe_),
                                   [self = shared_from_this()](beast::error_code ec, size_t) {
                                     if (ec) return self->Shutdown();
                                     self->DoWatchClose();  // a client may send bytes; ignore them
                                   });
}

void SseSession::Shutdown() {
  if (closed_) return;
  closed_ = true;
  events_->Close();
  heartbeat_timer_.cancel();
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
}

}  // namespace tributary::service::api
