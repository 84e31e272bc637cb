// Killing the daemon never loses or corrupts anything: under continuous ingestion (two sources
// changing a fifth of their records on every fetch, merged into one view), the daemon is killed
// with SIGKILL at random moments many times and restarted on the same data directory. Then the
// database passes PRAGMA integrity_check, the change sequence has no gaps, every change the API
// had acknowledged is still there, and each view's keys agree with its sources' records (a
// commit is never half applied).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "tests/integration/daemon_process.hpp"
#include "tests/support/origin.hpp"

namespace tributary::testing {
namespace {

using nlohmann::json;
using test_support::TestOrigin;

constexpr int kRecords = 3000;
constexpr int kKills = 20;

// Generation `gen` of a source: a fifth of the values move on every generation, and one record
// in fifty is absent (a different one each time), so every fetch adds, removes and changes.
std::string Generate(int gen, int salt) {
  json items = json::array();
  for (int i = 0; i < kRecords; ++i) {
    if ((i + gen) % 50 == 0) continue;
    items.push_back({{"id", "k" + std::to_string(i)},
                     {"value", i * 7 + (gen + i % 5) / 5 + salt},
                     {"label", "item " + std::to_string(i % 97)}});
  }
  return items.dump();
}

struct Acknowledged {
  std::string key;
  std::string op;
  std::string target;  // "view:<id>" or "source:<id>"
};

// Runs `sql` returning rows of text columns.
std::vector<std::vector<std::string>> Query(sqlite3* db, const std::string& sql) {
  std::vector<std::vector<std::string>> rows;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "prepare " << sql << ": " << sqlite3_errmsg(db);
    return rows;
  }
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      const auto* text = sqlite3_column_text(stmt, c);
      row.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  return rows;
}

TEST(Durability, SigkillDuringIngestionLosesNothing) {
  TestOrigin origin;
  std::atomic<int> gen_a{0};
  std::atomic<int> gen_b{0};
  origin.Route("/a.json", [&](const test_support::RecordedRequest&) {
    return test_support::Response{.status = 200,
                                  .headers = {{"Content-Type", "application/json"}},
                                  .body = Generate(gen_a++, 0)};
  });
  origin.Route("/b.json", [&](const test_support::RecordedRequest&) {
    return test_support::Response{.status = 200,
                                  .headers = {{"Content-Type", "application/json"}},
                                  .body = Generate(gen_b++, 1)};
  });
  TempDir dir;
  json config = json::parse(R"({
      "listen": "127.0.0.1:0", "log": {"level": "info"},
      "fetch": {"allow_private_networks": true}, "workers": {"processes": 2},
      "sources": [
        {"id": "a", "url": ")" +
                            origin.Url("/a.json") + R"(", "every": "1s", "format": "json",
         "key": "id", "fields": {"id": "/id", "value": {"select": "/value", "type": "integer"}, "label": "/label"}},
        {"id": "b", "url": ")" +
                            origin.Url("/b.json") + R"(", "every": "1s", "format": "json",
         "key": "id", "fields": {"id": "/id", "value": {"select": "/value", "type": "integer"}, "label": "/label"}}],
      "views": [{"id": "both", "key": "id", "sources": ["a", "b"],
                 "fields": {"value": "max"}}]})");
  config["data_dir"] = dir.path() + "/data";

  std::mt19937 random(20261125);
  std::map<int64_t, Acknowledged> acknowledged;
  int64_t since = 0;
  // Reads the changes after `since` the API acknowledges now, a bounded number of pages: while
  // ingestion runs, new changes can come as fast as a reader pages through them (an ASan build
  // reads slower than the daemon writes), and a reader that waited to catch up would never
  // return.
  auto collect = [&](const DaemonProcess& d) {
    for (int page_count = 0; page_count < 20; ++page_count) {
      auto reply = d.Get("/api/v1/changes?since=" + std::to_string(since) + "&limit=1000");
      if (reply.status != 200) return;
      const json page = reply.Json();
      for (const auto& c : page["changes"]) {
        const std::string target = c.contains("view") ? "view:" + c["view"].get<std::string>()
                                                      : "source:" + c["source"].get<std::string>();
        acknowledged[c["seq"].get<int64_t>()] = {c["key"], c["op"], target};
      }
      const int64_t next = page["next_since"].get<int64_t>();
      if (page["changes"].empty() || next <= since) return;
      since = next;
    }
  };

#if TRIBUTARY_SANITIZE
  // An ASan build ingests several times slower: the same number of kills takes longer.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(200);
#else
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
#endif
  int kills = 0;
  while (kills < kKills && std::chrono::steady_clock::now() < deadline) {
    std::string error;
    auto d = DaemonProcess::Start(dir.path(), config, &error);
    ASSERT_NE(d, nullptr) << error;
    // Ingestion is under way once a commit newer than what we know is acknowledged.
    const int64_t before = since;
    ASSERT_TRUE(WaitUntil(
        [&] {
          collect(*d);
          return since > before;
        },
        std::chrono::seconds(30)))
        << "no new change after restart " << kills << "\n"
        << d->Log();
    // Then kill at a random moment of the ingestion that follows.
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 700));  // fault injection
    d.reset();                                                               // SIGKILL, reaped
    ++kills;
  }
  EXPECT_GE(kills, 10) << "too slow to kill often enough";

  // A last run stops cleanly, having caught up.
  {
    std::string error;
    auto d = DaemonProcess::Start(dir.path(), config, &error);
    ASSERT_NE(d, nullptr) << error;
    ASSERT_TRUE(WaitUntil([&] { return d->Get("/readyz").status == 200; }));
    // Caught up: both sources have committed a snapshot in this run (a kill may have hit each
    // earlier run before one of them committed; nothing of that is lost, it was never taken).
    const int64_t before = since;
    ASSERT_TRUE(WaitUntil(
        [&] {
          collect(*d);
          for (const char* id : {"a", "b"}) {
            const json s = d->Get(std::string("/api/v1/sources/") + id).Json();
            if (!s["stored"]["records"].is_number() || s["stored"]["records"].get<int>() == 0)
              return false;
          }
          return since > before;
        },
        std::chrono::seconds(60)))
        << d->Log();
    collect(*d);
    ASSERT_TRUE(d->Terminate().has_value());
  }

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir.path() + "/data/tributary.db").c_str(), &db, SQLITE_OPEN_READONLY,
                            nullptr),
            SQLITE_OK);
  EXPECT_EQ(Query(db, "PRAGMA integrity_check"), (std::vector<std::vector<std::string>>{{"ok"}}));
  const auto seq = Query(db, "SELECT min(seq), max(seq), count(*) FROM changes")[0];
  EXPECT_EQ(seq[0], "1");
  EXPECT_EQ(std::stoll(seq[1]), std::stoll(seq[2])) << "the change sequence has gaps";
  ASSERT_FALSE(acknowledged.empty());
  EXPECT_LE(acknowledged.rbegin()->first, std::stoll(seq[1]));

  // Every acknowledged change is stored as it was reported.
  size_t found = 0;
  for (const auto& row :
       Query(db,
             "SELECT seq, key, op, CASE WHEN view_id <> '' THEN 'view:' || view_id ELSE "
             "'source:' || source_id END FROM changes ORDER BY seq")) {
    auto it = acknowledged.find(std::stoll(row[0]));
    if (it == acknowledged.end()) continue;
    EXPECT_EQ(it->second.key, row[1]) << "seq " << row[0];
    EXPECT_EQ(it->second.op, row[2]) << "seq " << row[0];
    EXPECT_EQ(it->second.target, row[3]) << "seq " << row[0];
    ++found;
  }
  EXPECT_EQ(found, acknowledged.size()) << "acknowledged changes are missing";

  // Atomicity: the view's keys are exactly the union of its sources' records, and each key
  // lists exactly the sources that have it.
  for (const char* source : {"a", "b"}) {
    const auto stored =
        Query(db, std::string("SELECT key FROM source_records WHERE source_id = '") + source +
                      "' ORDER BY key");
    const auto in_view = Query(db, std::string("SELECT key FROM view_keys WHERE view_id = 'both' "
                                               "AND sources_json LIKE '%\"") +
                                       source + "\"%' ORDER BY key");
    EXPECT_EQ(stored, in_view) << "source " << source;
    EXPECT_GT(stored.size(), static_cast<size_t>(kRecords * 9 / 10));
  }
  // And every merged value is the merge of the stored source values ("value": max).
  const auto stale = Query(
      db,
      "SELECT v.key, v.fields_json, a.fields_json, b.fields_json FROM view_records v JOIN "
      "source_records a ON a.source_id = 'a' AND a.key = v.key JOIN source_records b ON "
      "b.source_id = 'b' AND b.key = v.key WHERE v.view_id = 'both' AND "
      "json_extract(v.fields_json, '$.value') <> "
      "max(json_extract(a.fields_json, '$.value'), json_extract(b.fields_json, '$.value'))");
  EXPECT_TRUE(stale.empty()) << stale.size() << " stale merged records, e.g. " << stale[0][0]
                             << ": view " << stale[0][1] << ", a " << stale[0][2] << ", b "
                             << stale[0][3];
  const auto records = Query(db, "SELECT count(*) FROM view_records WHERE view_id = 'both'");
  const auto keys = Query(db, "SELECT count(*) FROM view_keys WHERE view_id = 'both'");
  EXPECT_EQ(records, keys);
  sqlite3_close(db);
}

}  // namespace
}  // namespace tributary::testing
