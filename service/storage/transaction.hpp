#pragma once
// Transaction: BEGIN ... COMMIT on one connection, rolled back when destroyed without a
// successful Commit, so that every early return of a failed write leaves the database exactly
// as it was. Statements used inside must be destroyed (or Reset) before Commit.
// Thread safety: as its connection.

#include <string>

#include "common/result.hpp"
#include "service/storage/sqlite_connection.hpp"

namespace tributary::storage {

class Transaction {
 public:
  enum class Kind {
    kDeferred,   // reads: takes a consistent snapshot at the first SELECT
    kImmediate,  // writes: takes the write lock now, so no later step fails on SQLITE_BUSY
  };

  // `operation` prefixes error messages ("commit fetch for source books").
  Transaction(SqliteConnection& conn, std::string operation)
      : conn_(conn), operation_(std::move(operation)) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Status Begin(Kind kind);
  Status Commit();

  const std::string& operation() const { return operation_; }

 private:
  SqliteConnection& conn_;
  const std::string operation_;
  bool active_ = false;  // between a successful Begin and a successful Commit
};

}  // namespace tributary::storage
