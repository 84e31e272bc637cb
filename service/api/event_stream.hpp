#pragma once
// An endless response body the session writes as it becomes ready (Server-Sent Events).
// The session pulls from one handler-pool thread at a time and writes what it got before it
// pulls again, so a stream sees at most one Pull in flight.
// Thread safety: Pull and Close may be called from any thread; `wake` from any thread.

#include <functional>
#include <string>

namespace tributary::service::api {

class EventStream {
 public:
  enum class State {
    kData,  // `out` holds bytes to write; pull again after writing them
    kWait,  // nothing now; `wake` will be called once when there is
    kEnd,   // `out` holds the last bytes (maybe none); close after writing them
  };
  virtual ~EventStream() = default;
  // May block (storage reads): the session calls it on the handler pool.
  virtual State Pull(std::string& out, std::function<void()> wake) = 0;
  // The connection is gone or the server stops; no wake is needed afterwards.
  virtual void Close() = 0;
};

}  // namespace tributary::service::api
