#pragma once
// Helpers shared by the storage tests: a temporary directory and small record builders.

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "common/time.hpp"
#include "merge/record.hpp"
#include "service/storage/sqlite_store.hpp"

namespace tributary::storage::test_util {

// A fresh directory under /tmp (mkdtemp), removed with its contents when destroyed.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/tributary-storage-test-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }
  std::string DbPath() const { return Sub(SqliteStore::kFileName); }

 private:
  std::string path_;
};

inline std::unique_ptr<SqliteStore> OpenOrDie(const std::string& dir) {
  auto store = SqliteStore::Open(dir);
  if (!store.ok()) throw std::runtime_error("open store: " + store.error().message);
  return std::move(store).value();
}

inline FetchLog MakeFetch(const std::string& source, int64_t started_ms, long status = 200) {
  FetchLog f;
  f.source_id = source;
  f.started = FromUnixMillis(started_ms);
  f.http_status = status;
  f.duration_ms = 12;
  f.bytes = 3456;
  return f;
}

inline merge::Record MakeRecord(const std::string& key, nlohmann::json fields) {
  merge::Record r;
  r.key = key;
  r.fields = std::move(fields);
  return r;
}

inline merge::MergedRecord MakeMerged(const std::string& key, nlohmann::json fields) {
  merge::MergedRecord r;
  r.key = key;
  r.fields = std::move(fields);
  r.sources = {"a", "b"};
  r.provenance["title"] = {"a", FromUnixMillis(1764077927123)};
  return r;
}

}  // namespace tributary::storage::test_util
