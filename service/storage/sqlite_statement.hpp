#pragma once
// SqliteStatement: RAII owner of one prepared statement (finalized on destruction).
// Binding is 1-based and columns 0-based, as in SQLite. A bind failure is remembered and
// reported by the next Step, so call sites bind without checking each call.
// Thread safety: none; use it only on the thread that holds its connection.

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace tributary::storage {

class SqliteStatement {
 public:
  SqliteStatement() = default;
  explicit SqliteStatement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~SqliteStatement();
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  void Bind(int index, int64_t value);
  void Bind(int index, std::string_view text);  // copied: temporaries are fine
  void BindNull(int index);

  // Runs one step; afterwards HasRow() tells whether a row is available. Errors read
  // "<operation>: <sqlite message>".
  Status Step(std::string_view operation);
  // Steps until done, for statements whose rows (if any) are not needed.
  Status Run(std::string_view operation);
  bool HasRow() const { return has_row_; }

  // Makes the statement ready to run again with fresh bindings.
  void Reset();

  bool IsNull(int column) const;
  int64_t Int(int column) const;
  std::string Text(int column) const;

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int bind_rc_ = SQLITE_OK;  // first bind failure since the last Reset
  bool has_row_ = false;
};

}  // namespace tributary::storage
