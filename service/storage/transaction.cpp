#include "service/storage/transaction.hpp"

#include "common/log.hpp"

namespace tributary::storage {

Transaction::~Transaction() {
  // SQLite rolls some failures (e.g. SQLITE_FULL in a large statement) back by itself; only an
  // open transaction needs an explicit ROLLBACK.
  if (!active_ || !conn_.InTransaction()) return;
  if (Status s = conn_.Exec("ROLLBACK", operation_ + ": rollback"); !s) {
    Logger("store")->error("{} (db={})", s.error().message, conn_.path());
  }
}

Status Transaction::Begin(Kind kind) {
  const char* sql = kind == Kind::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN";
  if (Status s = conn_.Exec(sql, operation_); !s) return s;
  active_ = true;
  return Status::Ok();
}

Status Transaction::Commit() {
  // On failure active_ stays set: the destructor rolls back whatever SQLite left open.
  if (Status s = conn_.Exec("COMMIT", operation_); !s) return s;
  active_ = false;
  return Status::Ok();
}

}  // namespace tributary::storage
