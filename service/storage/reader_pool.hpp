#pragma once
// ReaderPool: read-only connections to one database, leased one per read, so that reads from
// many threads run in parallel and, in WAL mode, never wait for the writer: each read sees the
// last committed state. Connections open on demand (a read never waits for another read); at
// most `max_idle` stay open between reads.
// Thread safety: Acquire may be called from any thread. A Lease is used by one thread and must
// not outlive the pool.

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "service/storage/sqlite_connection.hpp"

namespace tributary::storage {

class ReaderPool {
 public:
  // Holds one connection and gives it back to the pool when destroyed.
  class Lease {
   public:
    Lease(ReaderPool* pool, std::unique_ptr<SqliteConnection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();

    SqliteConnection& operator*() const { return *conn_; }
    SqliteConnection* operator->() const { return conn_.get(); }

   private:
    ReaderPool* pool_;
    std::unique_ptr<SqliteConnection> conn_;  // null once moved from
  };

  ReaderPool(std::string path, size_t max_idle) : path_(std::move(path)), max_idle_(max_idle) {}

  Result<Lease> Acquire();

 private:
  void Release(std::unique_ptr<SqliteConnection> conn);

  // Constant after construction.
  const std::string path_;
  const size_t max_idle_;

  std::mutex mu_;
  // Guarded by mu_.
  std::vector<std::unique_ptr<SqliteConnection>> idle_;
};

}  // namespace tributary::storage
