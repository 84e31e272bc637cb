#include "service/storage/sqlite_error.hpp"

#include <gtest/gtest.h>

namespace tributary::storage {
namespace {

TEST(StorageSqliteError, DiskFullAndIoErrorsAreRetryable) {
  EXPECT_TRUE(IsRetryableSqliteCode(SQLITE_FULL));
  EXPECT_TRUE(IsRetryableSqliteCode(SQLITE_IOERR));
  EXPECT_TRUE(IsRetryableSqliteCode(SQLITE_IOERR_WRITE));
  EXPECT_TRUE(IsRetryableSqliteCode(SQLITE_IOERR_FSYNC));
  EXPECT_TRUE(IsRetryableSqliteCode(SQLITE_BUSY));
  EXPECT_TRUE(IsRetryableSqliteCode(SQLITE_BUSY_SNAPSHOT));
}

TEST(StorageSqliteError, CorruptionAndMisuseArePermanent) {
  EXPECT_FALSE(IsRetryableSqliteCode(SQLITE_CORRUPT));
  EXPECT_FALSE(IsRetryableSqliteCode(SQLITE_NOTADB));
  EXPECT_FALSE(IsRetryableSqliteCode(SQLITE_CONSTRAINT_PRIMARYKEY));
  EXPECT_FALSE(IsRetryableSqliteCode(SQLITE_READONLY));
  EXPECT_FALSE(IsRetryableSqliteCode(SQLITE_ERROR));
}

TEST(StorageSqliteError, MessageNamesTheOperation) {
  const Error e = SqliteError(nullptr, SQLITE_FULL, "commit fetch for source books");
  EXPECT_EQ(e.message, "commit fetch for source books: database or disk is full");
  EXPECT_EQ(e.error_class, ErrorClass::kRetryable);
}

TEST(StorageSqliteError, UsesTheConnectionMessageForItsLastFailure) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  const int rc = sqlite3_exec(db, "SELECT * FROM nosuch", nullptr, nullptr, nullptr);
  const Error e = SqliteError(db, rc, "read things");
  EXPECT_EQ(e.message, "read things: no such table: nosuch");
  EXPECT_EQ(e.error_class, ErrorClass::kPermanent);
  sqlite3_close(db);
}

}  // namespace
}  // namespace tributary::storage
