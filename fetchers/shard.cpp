#include "fetchers/shard.hpp"

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include "common/log.hpp"

namespace tributary::fetchers {

namespace asio = boost::asio;

Fetcher::Shard::Shard(int index) : index_(index) {
  work_.emplace(io_.get_executor());
  multi_ = curl_multi_init();
  if (multi_ == nullptr) throw std::runtime_error("curl_multi_init failed");
  if (curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &Shard::OnSocketCallback) != CURLM_OK ||
      curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this) != CURLM_OK ||
      curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &Shard::OnTimerCallback) != CURLM_OK ||
      curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this) != CURLM_OK) {
    curl_multi_cleanup(multi_);
    throw std::runtime_error("libcurl refused the multi socket callbacks");
  }
  thread_ = std::thread([this] { Run(); });
}

Fetcher::Shard::~Shard() { Stop(); }

void Fetcher::Shard::Run() {
  for (;;) {
    try {
      io_.run();
      return;
    } catch (const std::exception& e) {
      Logger("fetch")->error("shard={} I/O loop: {}", index_, e.what());
    } catch (...) {
      Logger("fetch")->error("shard={} I/O loop: non-standard exception", index_);
    }
  }
}

void Fetcher::Shard::Submit(FetchRequest request, Callback done) {
  auto transfer = std::make_unique<Transfer>(std::move(request), std::move(done));
  {
    std::lock_guard lock(mu_);
    if (!stopped_) {
      in_flight_.fetch_add(1, std::memory_order_acq_rel);
      asio::post(io_, [this, t = std::move(transfer)]() mutable { DoStart(std::move(t)); });
      return;
    }
  }
  FetchResult result = transfer->Cancelled();
  transfer->Complete(std::move(result));
}

void Fetcher::Shard::RequestStop() {
  std::lock_guard lock(mu_);
  if (stopped_) return;
  stopped_ = true;
  // Posted last: every transfer posted before it is started first, then cancelled.
  asio::post(io_, [this] { DoShutdown(); });
}

void Fetcher::Shard::Join() {
  std::lock_guard lock(join_mu_);
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void Fetcher::Shard::Stop() {
  RequestStop();
  Join();
}

void Fetcher::Shard::DoStart(std::unique_ptr<Transfer> transfer) {
  if (multi_ == nullptr) {
    FetchResult result = transfer->Cancelled();
    Complete(std::move(transfer), std::move(result));
    return;
  }
  if (Status prepared = transfer->Prepare(); !prepared) {
    FetchResult result = transfer->Failed(prepared.error());
    Complete(std::move(transfer), std::move(result));
    return;
  }
  CURL* easy = transfer->easy();
  if (const CURLMcode mc = curl_multi_add_handle(multi_, easy); mc != CURLM_OK) {
    FetchResult result = transfer->Failed(
        Error::Retryable(std::string("curl_multi_add_handle: ") + curl_multi_strerror(mc)));
    Complete(std::move(transfer), std::move(result));
    return;
  }
  transfers_.emplace(easy, std::move(transfer));
}

void Fetcher::Shard::DoShutdown() {
  if (multi_ != nullptr) {
    auto cancelled = std::move(transfers_);
    transfers_.clear();
    for (auto& [easy, transfer] : cancelled) curl_multi_remove_handle(multi_, easy);
    for (auto& [easy, transfer] : cancelled) {
      FetchResult result = transfer->Cancelled();
      Complete(std::move(transfer), std::move(result));
    }
    // While the socket map and the io_context are alive: libcurl may still report sockets.
    curl_multi_cleanup(multi_);
    multi_ = nullptr;
  }
  timer_.cancel();
  for (auto& [fd, socket] : sockets_) {
    socket->released = true;
    socket->descriptor.release();
  }
  sockets_.clear();
  // The aborted waits complete (and find their socket released); then run() returns.
  work_.reset();
}

void Fetcher::Shard::Complete(std::unique_ptr<Transfer> transfer, FetchResult result) {
  in_flight_.fetch_sub(1, std::memory_order_acq_rel);
  transfer->Complete(std::move(result));
}

// CURLMOPT_SOCKETFUNCTION
int Fetcher::Shard::OnSocketCallback(CURL* /*easy*/, curl_socket_t fd, int what, void* self,
                                     void* /*socket_data*/) noexcept {
  auto* shard = static_cast<Shard*>(self);
  try {
    if (what == CURL_POLL_REMOVE) {
      shard->ReleaseSocket(fd);
    } else {
      shard->WatchSocket(fd, what);
    }
    return 0;
  } catch (const std::exception& e) {
    Logger("fetch")->error("shard={} watching fd {} failed: {}", shard->index_, fd, e.what());
  } catch (...) {
    Logger("fetch")->error("shard={} watching fd {} failed", shard->index_, fd);
  }
  return -1;
}

// CURLMOPT_TIMERFUNCTION. Never calls libcurl from here: even a 0 ms timeout goes through the
// timer so that curl_multi_socket_action runs from the loop.
int Fetcher::Shard::OnTimerCallback(CURLM* /*multi*/, long timeout_ms, void* self) noexcept {
  auto* shard = static_cast<Shard*>(self);
  try {
    if (timeout_ms < 0) {
      shard->timer_.cancel();
      return 0;
    }
    shard->timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    shard->timer_.async_wait([shard](boost::system::error_code ec) { shard->OnTimer(ec); });
    return 0;
  } catch (const std::exception& e) {
    Logger("fetch")->error("shard={} arming the timer failed: {}", shard->index_, e.what());
  } catch (...) {
    Logger("fetch")->error("shard={} arming the timer failed", shard->index_);
  }
  return -1;
}

void Fetcher::Shard::WatchSocket(curl_socket_t fd, int what) {
  auto& entry = sockets_[fd];
  if (!entry) {
    auto socket = std::make_shared<Socket>(io_, fd);
    boost::system::error_code ec;
    socket->descriptor.assign(fd, ec);
    if (ec) {
      sockets_.erase(fd);
      throw boost::system::system_error(ec, "assigning the descriptor");
    }
    entry = std::move(socket);
  }
  entry->wanted = what & (CURL_POLL_IN | CURL_POLL_OUT);
  ArmWaits(entry);
}

void Fetcher::Shard::ReleaseSocket(curl_socket_t fd) {
  const auto it = sockets_.find(fd);
  if (it == sockets_.end()) return;
  const std::shared_ptr<Socket> socket = std::move(it->second);
  sockets_.erase(it);
  socket->released = true;
  socket->wanted = 0;
  // Never close(): libcurl closes the fd itself, and the number can come back at once.
  socket->descriptor.release();
}

void Fetcher::Shard::ArmWaits(const std::shared_ptr<Socket>& socket) {
  if ((socket->wanted & CURL_POLL_IN) != 0 && !socket->read_pending) {
    socket->read_pending = true;
    socket->descriptor.async_wait(
        asio::posix::stream_descriptor::wait_read,
        [this, socket](boost::system::error_code ec) { OnSocketReady(socket, CURL_POLL_IN, ec); });
  }
  if ((socket->wanted & CURL_POLL_OUT) != 0 && !socket->write_pending) {
    socket->write_pending = true;
    socket->descriptor.async_wait(
        asio::posix::stream_descriptor::wait_write,
        [this, socket](boost::system::error_code ec) { OnSocketReady(socket, CURL_POLL_OUT, ec); });
  }
}

void Fetcher::Shard::OnSocketReady(const std::shared_ptr<Socket>& socket, int direction,
                                   boost::system::error_code ec) {
  (direction == CURL_POLL_IN ? socket->read_pending : socket->write_pending) = false;
  if (socket->released || multi_ == nullptr || ec == asio::error::operation_aborted) return;
  if ((socket->wanted & direction) == 0) return;  // libcurl lost interest meanwhile
  if (ec) {
    // Let libcurl find out what is wrong; do not re-arm, or a broken fd would spin the loop.
    Logger("fetch")->warn("shard={} waiting on fd {} failed: {}", index_, socket->fd, ec.message());
    SocketAction(socket->fd, CURL_CSELECT_ERR);
    return;
  }
  SocketAction(socket->fd, direction == CURL_POLL_IN ? CURL_CSELECT_IN : CURL_CSELECT_OUT);
  if (!socket->released) ArmWaits(socket);
}

void Fetcher::Shard::OnTimer(boost::system::error_code ec) {
  if (ec == asio::error::operation_aborted || multi_ == nullptr) return;
  SocketAction(CURL_SOCKET_TIMEOUT, 0);
}

void Fetcher::Shard::SocketAction(curl_socket_t fd, int events) {
  int running = 0;
  if (const CURLMcode mc = curl_multi_socket_action(multi_, fd, events, &running); mc != CURLM_OK) {
    Logger("fetch")->error("shard={} curl_multi_socket_action: {}", index_,
                           curl_multi_strerror(mc));
  }
  DrainCompleted();
}

void Fetcher::Shard::DrainCompleted() {
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
    if (message->msg != CURLMSG_DONE) continue;
    // Copied out: the message is invalid once the handle is removed.
    CURL* const easy = message->easy_handle;
    const CURLcode code = message->data.result;
    curl_multi_remove_handle(multi_, easy);
    const auto it = transfers_.find(easy);
    if (it == transfers_.end()) continue;
    std::unique_ptr<Transfer> transfer = std::move(it->second);
    transfers_.erase(it);
    FetchResult result = transfer->Finish(code);
    Complete(std::move(transfer), std::move(result));
  }
}

}  // namespace tributary::fetchers
