#include "service/io_thread.hpp"

#include <boost/asio/post.hpp>
#include <future>

#include "common/log.hpp"

namespace tributary::service {

IoThread::IoThread(std::string name)
    : work_(boost::asio::make_work_guard(io_)), thread_([this, name = std::move(name)] {
        try {
          io_.run();
        } catch (const std::exception& e) {
          // Handlers catch what they expect; anything else is a bug that must not go unseen.
          Logger("main")->critical("thread {} stopped by an exception: {}", name, e.what());
          std::abort();
        }
      }) {}

IoThread::~IoThread() { Stop(); }

void IoThread::Stop() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void IoThread::Drain() {
  if (io_.stopped()) return;
  std::promise<void> done;
  auto f = done.get_future();
  boost::asio::post(io_, [&done] { done.set_value(); });
  f.wait();
}

}  // namespace tributary::service
