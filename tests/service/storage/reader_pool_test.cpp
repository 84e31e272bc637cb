#include "service/storage/reader_pool.hpp"

#include <gtest/gtest.h>

#include "tests/service/storage/storage_test_util.hpp"

namespace tributary::storage {
namespace {

using test_util::OpenOrDie;
using test_util::TempDir;

TEST(StorageReaderPool, ReusesIdleConnectionsAndOpensMoreOnDemand) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());  // creates the database
  ReaderPool pool(dir.DbPath(), 1);

  SqliteConnection* first = nullptr;
  {
    auto a = pool.Acquire();
    ASSERT_TRUE(a.ok()) << a.error().message;
    first = &**a;
    // A second concurrent read gets its own connection instead of waiting.
    auto b = pool.Acquire();
    ASSERT_TRUE(b.ok());
    EXPECT_NE(&**b, first);
  }
  // max_idle is 1: one of the two was kept and comes back.
  auto again = pool.Acquire();
  ASSERT_TRUE(again.ok());
}

TEST(StorageReaderPool, ConnectionsAreReadOnly) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  ReaderPool pool(dir.DbPath(), 2);
  auto lease = pool.Acquire();
  ASSERT_TRUE(lease.ok());
  Status s = (*lease)->Exec("DELETE FROM fetches", "delete from reader");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("readonly"), std::string::npos) << s.error().message;
}

TEST(StorageReaderPool, AnOpenTransactionIsEndedOnRelease) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  ReaderPool pool(dir.DbPath(), 1);
  SqliteConnection* conn = nullptr;
  {
    auto lease = pool.Acquire();
    ASSERT_TRUE(lease.ok());
    conn = &**lease;
    ASSERT_TRUE((*lease)->Exec("BEGIN; SELECT count(*) FROM fetches;", "test").ok());
    EXPECT_TRUE((*lease)->InTransaction());
  }
  auto lease = pool.Acquire();
  ASSERT_TRUE(lease.ok());
  ASSERT_EQ(&**lease, conn);  // the idle one, reused
  EXPECT_FALSE((*lease)->InTransaction());
}

TEST(StorageReaderPool, MissingDatabaseIsAnErrorNamingThePath) {
  TempDir dir;
  ReaderPool pool(dir.Sub("missing.db"), 1);
  auto lease = pool.Acquire();
  ASSERT_FALSE(lease.ok());
  EXPECT_NE(lease.error().message.find(dir.Sub("missing.db")), std::string::npos)
      << lease.error().message;
}

}  // namespace
}  // namespace tributary::storage
