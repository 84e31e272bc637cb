#include "service/storage/migrations.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "service/storage/sqlite_store.hpp"
#include "tests/service/storage/storage_test_util.hpp"

namespace tributary::storage {
namespace {

using test_util::OpenOrDie;
using test_util::TempDir;

std::unique_ptr<SqliteConnection> Connect(
    const std::string& path, SqliteConnection::Mode mode = SqliteConnection::Mode::kReadOnly) {
  auto conn = SqliteConnection::Open(path, mode);
  if (!conn.ok()) throw std::runtime_error(conn.error().message);
  return std::move(conn).value();
}

// version -> applied_at, in version order.
std::vector<std::pair<int64_t, std::string>> AppliedRows(SqliteConnection& conn) {
  auto stmt =
      conn.Prepare("SELECT version, applied_at FROM schema_migrations ORDER BY version", "test");
  EXPECT_TRUE(stmt.ok());
  std::vector<std::pair<int64_t, std::string>> rows;
  for (;;) {
    EXPECT_TRUE(stmt->Step("test").ok());
    if (!stmt->HasRow()) break;
    rows.emplace_back(stmt->Int(0), stmt->Text(1));
  }
  return rows;
}

bool TableExists(SqliteConnection& conn, const std::string& name) {
  auto n = conn.QueryInt("SELECT count(*) FROM sqlite_master WHERE name = '" + name + "'", "test");
  return n.ok() && *n == 1;
}

TEST(StorageMigrations, OpenAppliesEveryStepToAnEmptyDatabase) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  EXPECT_EQ(store->migrations_applied(), LatestSchemaVersion());
  EXPECT_EQ(store->db_path(), dir.DbPath());

  auto conn = Connect(dir.DbPath());
  const auto rows = AppliedRows(*conn);
  ASSERT_EQ(rows.size(), static_cast<size_t>(LatestSchemaVersion()));
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].first, static_cast<int64_t>(i) + 1);
    EXPECT_TRUE(ParseRfc3339(rows[i].second).has_value()) << rows[i].second;
  }
  for (const char* table : {"fetches", "fetches_by_source", "source_records", "source_snapshots",
                            "view_records", "heartbeat"}) {
    EXPECT_TRUE(TableExists(*conn, table)) << table;
  }
  auto mode = conn->QueryText("PRAGMA journal_mode", "test");
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(*mode, "wal");
}

TEST(StorageMigrations, ReopeningAnUpToDateDatabaseAppliesNothing) {
  TempDir dir;
  OpenOrDie(dir.path()).reset();
  const auto before = AppliedRows(*Connect(dir.DbPath()));

  auto store = OpenOrDie(dir.path());
  EXPECT_EQ(store->migrations_applied(), 0);
  EXPECT_EQ(AppliedRows(*Connect(dir.DbPath())), before);
}

TEST(StorageMigrations, RefusesADatabaseNewerThanTheCode) {
  TempDir dir;
  OpenOrDie(dir.path()).reset();
  const int newer = LatestSchemaVersion() + 1;
  {
    auto conn = Connect(dir.DbPath(), SqliteConnection::Mode::kReadWrite);
    ASSERT_TRUE(conn->Exec("INSERT INTO schema_migrations VALUES (" + std::to_string(newer) +
                               ", '2030-01-01T00:00:00.000Z')",
                           "test")
                    .ok());
  }
  auto store = SqliteStore::Open(dir.path());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().error_class, ErrorClass::kPermanent);
  const std::string& msg = store.error().message;
  EXPECT_NE(msg.find(dir.DbPath()), std::string::npos) << msg;
  EXPECT_NE(msg.find("schema version " + std::to_string(newer)), std::string::npos) << msg;
  EXPECT_NE(msg.find("newer than this build knows (" + std::to_string(LatestSchemaVersion())),
            std::string::npos)
      << msg;
}

TEST(StorageMigrations, AppliesOnlyPendingStepsInOrder) {
  TempDir dir;
  auto conn = Connect(dir.DbPath(), SqliteConnection::Mode::kReadWrite);
  const std::vector<Migration> v1 = {{1, "a", "CREATE TABLE a (x); INSERT INTO a VALUES (1);"}};
  auto first = RunMigrations(*conn, v1);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->applied, 1);
  EXPECT_EQ(first->from_version, 0);
  EXPECT_EQ(first->to_version, 1);

  std::vector<Migration> v2 = v1;
  v2.push_back({2, "b", "CREATE TABLE b (y); INSERT INTO b SELECT x + 1 FROM a;"});
  auto second = RunMigrations(*conn, v2);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->applied, 1);
  EXPECT_EQ(second->from_version, 1);
  EXPECT_EQ(second->to_version, 2);
  EXPECT_EQ(*conn->QueryInt("SELECT count(*) FROM a", "test"), 1);  // step 1 not re-run
  EXPECT_EQ(*conn->QueryInt("SELECT y FROM b", "test"), 2);

  auto third = RunMigrations(*conn, v2);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->applied, 0);
}

TEST(StorageMigrations, AFailedStepIsRolledBackAndLeavesThePreviousVersion) {
  TempDir dir;
  auto conn = Connect(dir.DbPath(), SqliteConnection::Mode::kReadWrite);
  const std::vector<Migration> steps = {
      {1, "a", "CREATE TABLE a (x);"},
      {2, "broken", "CREATE TABLE b (y); INSERT INTO nosuch VALUES (1);"},
      {3, "c", "CREATE TABLE c (z);"},
  };
  auto outcome = RunMigrations(*conn, steps);
  ASSERT_FALSE(outcome.ok());
  const std::string& msg = outcome.error().message;
  EXPECT_NE(msg.find("apply schema migration 2 (broken)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no such table: nosuch"), std::string::npos) << msg;
  EXPECT_FALSE(conn->InTransaction());
  EXPECT_EQ(*CurrentSchemaVersion(*conn), 1);
  EXPECT_TRUE(TableExists(*conn, "a"));
  EXPECT_FALSE(TableExists(*conn, "b"));
  EXPECT_FALSE(TableExists(*conn, "c"));
}

TEST(StorageMigrations, RejectsMisnumberedSteps) {
  TempDir dir;
  auto conn = Connect(dir.DbPath(), SqliteConnection::Mode::kReadWrite);
  const std::vector<Migration> steps = {{1, "a", "CREATE TABLE a (x);"},
                                        {3, "c", "CREATE TABLE c (z);"}};
  auto outcome = RunMigrations(*conn, steps);
  ASSERT_FALSE(outcome.ok());
  EXPECT_FALSE(TableExists(*conn, "a"));
}

TEST(StorageMigrations, CreatesAMissingDataDirectory) {
  TempDir dir;
  const std::string nested = dir.Sub("x/y/data");
  auto store = SqliteStore::Open(nested);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_TRUE(std::filesystem::exists(nested + "/tributary.db"));
}

TEST(StorageMigrations, NamesTheDataDirectoryItCannotCreate) {
  TempDir dir;
  const std::string file = dir.Sub("plain-file");
  std::ofstream(file) << "not a directory";
  for (const std::string& data_dir : {file, file + "/data"}) {
    auto store = SqliteStore::Open(data_dir);
    ASSERT_FALSE(store.ok());
    EXPECT_NE(store.error().message.find(data_dir), std::string::npos) << store.error().message;
  }
}

TEST(StorageMigrations, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  std::ofstream(dir.DbPath()) << std::string(4096, 'x');
  auto store = SqliteStore::Open(dir.path());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().error_class, ErrorClass::kPermanent);
  EXPECT_NE(store.error().message.find(dir.DbPath()), std::string::npos);
  EXPECT_NE(store.error().message.find("not a database"), std::string::npos)
      << store.error().message;
}

}  // namespace
}  // namespace tributary::storage
