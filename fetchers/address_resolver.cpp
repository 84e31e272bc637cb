#include "fetchers/address_resolver.hpp"

#include <exception>

#include "common/log.hpp"

namespace tributary::fetchers {

namespace asio = boost::asio;

AddressResolver::AddressResolver()
    : work_(asio::make_work_guard(io_)), resolver_(io_), thread_([this] {
        for (;;) {
          try {
            io_.run();
            return;
          } catch (const std::exception& e) {
            Logger("fetch")->error("resolver loop: {}", e.what());
          }
        }
      }) {}

AddressResolver::~AddressResolver() { Stop(); }

void AddressResolver::Stop() {
  std::vector<Callback> orphans;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& [host, e] : entries_) {
      for (auto& w : e.waiters) orphans.push_back(std::move(w));
      e.waiters.clear();
    }
  }
  asio::post(io_, [this] { resolver_.cancel(); });
  work_.reset();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  for (auto& w : orphans) w(Error::Retryable("cancelled"));
}

void AddressResolver::Resolve(const std::string& host, Callback done) {
  {
    std::lock_guard lock(mu_);
    if (!stopped_) {
      Entry& e = entries_[host];
      if (!e.address.empty() && std::chrono::steady_clock::now() < e.expires) {
        const std::string address = e.address;
        // Outside the lock below.
        done = [cb = std::move(done), address](Result<std::string>) { cb(address); };
      } else {
        e.waiters.push_back(std::move(done));
        if (e.pending) return;
        e.pending = true;
        asio::post(io_, [this, host] {
          resolver_.async_resolve(
              host, "",
              [this, host](boost::system::error_code ec,
                           asio::ip::tcp::resolver::results_type results) {
                if (ec) {
                  OnResolved(host,
                             Error::Retryable("cannot resolve " + host + ": " + ec.message()));
                  return;
                }
                std::string v4, v6;
                for (const auto& entry : results) {
                  const auto address = entry.endpoint().address();
                  if (address.is_v4() && v4.empty()) v4 = address.to_string();
                  if (address.is_v6() && v6.empty()) v6 = address.to_string();
                }
                if (v4.empty() && v6.empty()) {
                  OnResolved(host, Error::Retryable("cannot resolve " + host + ": no address"));
                  return;
                }
                OnResolved(host, v4.empty() ? v6 : v4);
              });
        });
        return;
      }
    } else {
      done = [cb = std::move(done)](Result<std::string>) { cb(Error::Retryable("cancelled")); };
    }
  }
  done(Error::Retryable("unused"));
}

void AddressResolver::OnResolved(const std::string& host, Result<std::string> address) {
  std::vector<Callback> waiters;
  {
    std::lock_guard lock(mu_);
    Entry& e = entries_[host];
    e.pending = false;
    if (address) {
      e.address = *address;
      e.expires = std::chrono::steady_clock::now() + kTtl;
    }
    waiters.swap(e.waiters);
  }
  for (auto& w : waiters) w(address);
}

}  // namespace tributary::fetchers
