#pragma once
// The live side of the change history: knows the latest committed change, wakes long-poll
// requests waiting for one, and pushes new changes to SSE subscribers.
//
// Subscribers first catch up from the store (in pages, pulled as fast as the client reads),
// then go live: each new batch is read from the store once, by the feed, and pushed into every
// live subscriber's bounded buffer. When a burst fills the buffer of a client that keeps up (it
// took its last events promptly), the buffer is dropped and the subscriber catches up from the
// store again: nothing is lost and memory stays bounded. A client that is too slow — more than
// `buffer_limit` changes behind while its last events have been waiting to be written for
// longer than `slow_after` — gets one final "overflow" event naming the last change it was
// sent, and is closed; it resumes from there with Last-Event-ID.
// Lock order: feed, then subscriber.
// Thread safety: every method may be called from any thread. Publish is cheap (it posts).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "service/api/event_stream.hpp"
#include "service/storage/store.hpp"

namespace tributary::service::api {

class ChangeFeed;

class ChangeSubscription : public EventStream {
 public:
  ChangeSubscription(ChangeFeed& feed, int64_t after, storage::ChangeFilter filter,
                     size_t buffer_limit, std::chrono::milliseconds slow_after);
  State Pull(std::string& out, std::function<void()> wake) override;
  void Close() override;

 private:
  friend class ChangeFeed;
  // From the feed, under its lock: changes up to `scanned_to` are committed and distributed.
  void Push(const std::vector<storage::Change>& changes, int64_t scanned_to);
  // Under mu_: the client is too slow, given that changes up to `latest` exist.
  bool SlowLocked(int64_t latest, std::chrono::steady_clock::time_point now) const;

  ChangeFeed& feed_;
  const storage::ChangeFilter filter_;
  const size_t buffer_limit_;
  const std::chrono::milliseconds slow_after_;

  std::mutex mu_;
  // Guarded by mu_.
  int64_t cursor_;           // every change <= cursor_ is buffered, sent or filtered out
  int64_t sent_;             // the last change handed to the session
  bool live_ = false;        // catching up from the store until true
  bool overflowed_ = false;  // the buffer overflowed: send the final event and end
  bool closed_ = false;
  // Since when the events of the last Pull have been with the session (being written to the
  // client); unset while the session pulls or waits for a wake.
  std::optional<std::chrono::steady_clock::time_point> handed_out_;
  std::deque<std::pair<int64_t, std::string>> buffer_;  // (seq, rendered event)
  std::function<void()> wake_;
};

class ChangeFeed {
 public:
  explicit ChangeFeed(storage::Store& store);
  ~ChangeFeed();

  // Reads the latest sequence number from the store.
  void Start();
  int64_t Latest() const;
  // Changes up to `latest` are committed (called on the store's writer thread).
  void Publish(int64_t latest);

  // Calls `ready` once, on `executor`: when a change after `since` is committed, at `deadline`,
  // or at Shutdown.
  void WaitAfter(int64_t since, std::chrono::steady_clock::time_point deadline,
                 boost::asio::any_io_executor executor, std::function<void()> ready);

  // `slow_after`: see the class comment above ChangeSubscription.
  std::shared_ptr<ChangeSubscription> Subscribe(
      int64_t after, storage::ChangeFilter filter, size_t buffer_limit,
      std::chrono::milliseconds slow_after = kDefaultSlowAfter);
  // Wakes every waiter and ends every stream; later calls do nothing.
  void Shutdown();

  storage::Store& store() { return store_; }
  // Changes read per store query.
  static constexpr size_t kPage = 500;
  static constexpr std::chrono::milliseconds kDefaultSlowAfter{1000};

 private:
  friend class ChangeSubscription;
  struct Waiter;
  void Distribute();
  void Forget(const std::shared_ptr<Waiter>& waiter);

  storage::Store& store_;
  boost::asio::thread_pool pool_{1};  // Distribute runs here, one at a time

  mutable std::mutex mu_;
  // Guarded by mu_.
  int64_t latest_ = 0;       // the latest committed change we were told of
  int64_t distributed_ = 0;  // pushed to live subscribers up to here
  bool shutdown_ = false;
  std::list<std::shared_ptr<Waiter>> waiters_;
  std::vector<std::weak_ptr<ChangeSubscription>> subscribers_;
};

}  // namespace tributary::service::api
