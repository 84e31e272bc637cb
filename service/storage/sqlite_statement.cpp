#include "service/storage/sqlite_statement.hpp"

#include <utility>

#include "service/storage/sqlite_error.hpp"

namespace tributary::storage {

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      bind_rc_(other.bind_rc_),
      has_row_(other.has_row_) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    bind_rc_ = other.bind_rc_;
    has_row_ = other.has_row_;
  }
  return *this;
}

void SqliteStatement::Bind(int index, int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void SqliteStatement::Bind(int index, std::string_view text) {
  const int rc =
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void SqliteStatement::BindNull(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

Status SqliteStatement::Step(std::string_view operation) {
  has_row_ = false;
  if (bind_rc_ != SQLITE_OK) return SqliteError(sqlite3_db_handle(stmt_), bind_rc_, operation);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    has_row_ = true;
    return Status::Ok();
  }
  if (rc == SQLITE_DONE) return Status::Ok();
  return SqliteError(sqlite3_db_handle(stmt_), rc, operation);
}

Status SqliteStatement::Run(std::string_view operation) {
  do {
    if (Status s = Step(operation); !s) return s;
  } while (has_row_);
  return Status::Ok();
}

void SqliteStatement::Reset() {
  // sqlite3_reset repeats the last step's error code, which Step already reported.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
  has_row_ = false;
}

bool SqliteStatement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t SqliteStatement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string SqliteStatement::Text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return {};
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

}  // namespace tributary::storage
