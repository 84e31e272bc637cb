#pragma once
// A thread running an io_context until Stop: the building block of the daemon's threads.
// Thread safety: io() may be used from any thread; Stop and Drain from a controlling thread
// (never from the IoThread itself).

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <string>
#include <thread>

namespace tributary::service {

class IoThread {
 public:
  explicit IoThread(std::string name);
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  boost::asio::io_context& io() { return io_; }
  void Stop();   // drops what is still queued, joins
  void Drain();  // waits until everything posted so far has run

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

}  // namespace tributary::service
