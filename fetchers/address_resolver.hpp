#pragma once
// Resolves host names for politeness groups by IP address: Asio's asynchronous resolver on a
// thread of its own (getaddrinfo never blocks a shard), answers cached for a few minutes and
// concurrent lookups of one name merged. The first address is used (IPv4 preferred).
// Thread safety: Resolve and Stop may be called from any thread; callbacks run on the
// resolver's thread (or at once on the caller's when stopped or cached).

#include <boost/asio.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.hpp"

namespace tributary::fetchers {

class AddressResolver {
 public:
  using Callback = std::function<void(Result<std::string> address)>;
  static constexpr std::chrono::minutes kTtl{5};

  AddressResolver();
  ~AddressResolver();  // Stop()s
  AddressResolver(const AddressResolver&) = delete;
  AddressResolver& operator=(const AddressResolver&) = delete;

  void Resolve(const std::string& host, Callback done);
  void Stop();

 private:
  struct Entry {
    std::string address;
    std::chrono::steady_clock::time_point expires{};
    bool pending = false;
    std::vector<Callback> waiters;
  };
  void OnResolved(const std::string& host, Result<std::string> address);

  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::ip::tcp::resolver resolver_;  // used on the resolver thread only

  std::mutex mu_;
  bool stopped_ = false;                  // Guarded by mu_.
  std::map<std::string, Entry> entries_;  // Guarded by mu_.
  std::thread thread_;
};

}  // namespace tributary::fetchers
