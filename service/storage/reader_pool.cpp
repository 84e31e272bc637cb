#include "service/storage/reader_pool.hpp"

namespace tributary::storage {

ReaderPool::Lease::~Lease() {
  if (conn_ != nullptr) pool_->Release(std::move(conn_));
}

Result<ReaderPool::Lease> ReaderPool::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
  }
  auto conn = SqliteConnection::Open(path_, SqliteConnection::Mode::kReadOnly);
  if (!conn.ok()) return conn.error();
  return Lease(this, std::move(conn).value());
}

void ReaderPool::Release(std::unique_ptr<SqliteConnection> conn) {
  // A read transaction left open would pin an old snapshot (and block WAL checkpoints).
  if (conn->InTransaction() && !conn->Exec("ROLLBACK", "release reader of " + path_).ok()) {
    return;
  }
  std::lock_guard lock(mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(conn));
}

}  // namespace tributary::storage
