// The merge path the daemon really takes (SourceRecords → ViewIndex → merge_keys jobs in worker
// processes → one commit), on small fixtures served by a loopback origin whose bodies the tests
// change: provenance and `latest` follow each source's fetches, 304-like fetches included;
// records without a view key and duplicates show in coverage; an incremental merge stores what a
// full recompute would; a changed view definition is merged again in full (reload and restart).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include "tests/integration/daemon_process.hpp"
#include "tests/support/origin.hpp"

namespace tributary::testing {
namespace {

using nlohmann::json;

const std::string kAdmin = "admin-token-0123456789abcdef";

class MergePipelineTest : public ::testing::Test {
 protected:
  // The origin serves /<id>.json from bodies_, which tests replace.
  void Serve(const std::string& id, const json& records) {
    {
      std::lock_guard lock(mu_);
      bodies_[id] = records.dump();
    }
    origin_.Route("/" + id + ".json", [this, id](const test_support::RecordedRequest&) {
      std::lock_guard lock(mu_);
      return test_support::Response{
          .status = 200, .headers = {{"Content-Type", "application/json"}}, .body = bodies_[id]};
    });
  }

  // A JSON source of top-level records keyed by `key`, fetched at start and on refresh only;
  // "price" is a number, the other fields strings.
  json Source(const std::string& id, const std::string& key, const std::vector<std::string>& f) {
    json fields = json::object();
    for (const auto& name : f) fields[name] = "/" + name;
    if (fields.contains("price")) fields["price"] = {{"select", "/price"}, {"type", "number"}};
    return {{"id", id},      {"url", origin_.Url("/" + id + ".json")},
            {"every", "1h"}, {"format", "json"},
            {"key", key},    {"fields", fields}};
  }

  json Config(json sources, json views) const {
    return {{"listen", "127.0.0.1:0"},
            {"data_dir", dir_.path() + "/data"},
            {"log", {{"level", "debug"}}},
            {"fetch", {{"allow_private_networks", true}}},
            {"workers", {{"processes", 2}}},
            {"api", {{"tokens", {{{"token", kAdmin}, {"role", "admin"}}}}}},
            {"sources", std::move(sources)},
            {"views", std::move(views)}};
  }

  std::unique_ptr<DaemonProcess> Start(const json& config) {
    std::string error;
    auto d = DaemonProcess::Start(dir_.path(), config, &error);
    EXPECT_NE(d, nullptr) << error;
    return d;
  }

  static HttpReply Post(const DaemonProcess& d, const std::string& path) {
    return HttpRequest("POST", d.base_url() + path, "", {"Authorization: Bearer " + kAdmin});
  }

  // When the source's stored records were last fetched (null before the first fetch).
  static json FetchedAt(const DaemonProcess& d, const std::string& source) {
    auto reply = d.Get("/api/v1/sources/" + source);
    return reply.status == 200 ? reply.Json()["stored"]["fetched_at"] : json();
  }

  // Refreshes a source and waits until its fetch is stored (the fetch time moves on; the
  // source's merges are committed with it). Returns the new fetch time.
  static std::string Refresh(const DaemonProcess& d, const std::string& source) {
    const json before = FetchedAt(d, source);
    auto reply = Post(d, "/api/v1/sources/" + source + "/refresh");
    EXPECT_EQ(reply.status, 202) << reply.body;
    json now;
    EXPECT_TRUE(WaitUntil([&] {
      now = FetchedAt(d, source);
      return now.is_string() && now != before;
    })) << source
        << "\n"
        << d.Log();
    return now.is_string() ? now.get<std::string>() : "";
  }

  static json Record(const DaemonProcess& d, const std::string& view, const std::string& key) {
    auto reply = d.Get("/api/v1/views/" + view + "/records/" + key);
    return reply.status == 200 ? reply.Json() : json();
  }

  static json AllRecords(const DaemonProcess& d, const std::string& view) {
    auto reply = d.Get("/api/v1/views/" + view + "/records");
    return reply.status == 200 ? reply.Json()["records"] : json();
  }

  static int64_t LatestSeq(const DaemonProcess& d) {
    return d.Get("/api/v1/changes?limit=1").Json()["latest"].get<int64_t>();
  }

  static json ChangesSince(const DaemonProcess& d, int64_t seq, const std::string& filter) {
    return d.Get("/api/v1/changes?since=" + std::to_string(seq) + "&limit=1000&" + filter)
        .Json()["changes"];
  }

  static json ChangeOf(const json& changes, const std::string& key) {
    for (const auto& c : changes) {
      if (c["key"] == key) return c;
    }
    return json();
  }

  // A record without its provenance times (they follow the sources' fetches).
  static json WithoutTimes(json record) {
    for (auto& [field, p] : record["provenance"].items()) p.erase("fetched_at");
    return record;
  }

  TempDir dir_;
  test_support::TestOrigin origin_;
  std::mutex mu_;
  std::map<std::string, std::string> bodies_;  // Guarded by mu_.
};

TEST_F(MergePipelineTest, ProvenanceAndLatestFollowEachSourcesFetches) {
  Serve("a", json::array({{{"id", "k1"}, {"name", "Dune"}, {"price", 10}},
                          {{"id", "k2"}, {"name", "Emma"}, {"price", 5}}}));
  Serve("b", json::array({{{"id", "k1"}, {"name", "Dune"}, {"price", 12}},
                          {{"id", "k2"}, {"name", "Emma"}, {"price", 5}}}));
  const auto config = Config(
      {Source("a", "id", {"id", "name", "price"}), Source("b", "id", {"id", "name", "price"})},
      {{{"id", "books"},
        {"key", "id"},
        {"sources", {"a", "b"}},
        {"fields", {{"price", {{"strategy", "latest"}}}}}}});
  auto d = Start(config);
  ASSERT_NE(d, nullptr);
  ASSERT_TRUE(WaitUntil([&] {
    return Record(*d, "books", "k1")["sources"] == json({"a", "b"}) &&
           FetchedAt(*d, "b").is_string();
  })) << d->Log();

  // a is fetched again; its body is the same, so nothing is extracted (record_count null), but
  // its records were fetched now: their provenance says so, and a is the latest for price.
  const std::string a1 = Refresh(*d, "a");
  EXPECT_TRUE(d->Get("/api/v1/sources/a").Json()["last_fetch"]["record_count"].is_null());
  json k1 = Record(*d, "books", "k1");
  EXPECT_EQ(k1["fields"]["price"], 10);
  EXPECT_EQ(k1["provenance"]["price"]["source"], "a");
  EXPECT_EQ(k1["provenance"]["price"]["fetched_at"], a1);
  EXPECT_EQ(k1["provenance"]["name"]["source"], "a");  // priority
  EXPECT_EQ(k1["provenance"]["name"]["fetched_at"], a1);

  // b is fetched: its price is the latest now; a's values keep a's fetch time.
  const int64_t seq = LatestSeq(*d);
  const std::string b1 = Refresh(*d, "b");
  k1 = Record(*d, "books", "k1");
  EXPECT_EQ(k1["fields"]["price"], 12);
  EXPECT_EQ(k1["provenance"]["price"]["source"], "b");
  EXPECT_EQ(k1["provenance"]["price"]["fetched_at"], b1);
  EXPECT_EQ(k1["provenance"]["name"]["fetched_at"], a1);
  // k2's sources agree: its price now comes from b too, but no value changed.
  const json k2 = Record(*d, "books", "k2");
  EXPECT_EQ(k2["provenance"]["price"]["source"], "b");
  EXPECT_EQ(k2["provenance"]["price"]["fetched_at"], b1);
  // One change in the history: k1's price. The fetch rewrote nothing else.
  const json changes = ChangesSince(*d, seq, "");
  ASSERT_EQ(changes.size(), 1u) << changes.dump();
  EXPECT_EQ(changes[0]["view"], "books");
  EXPECT_EQ(changes[0]["key"], "k1");
  EXPECT_EQ(changes[0]["fields"], json({{"price", {{"before", 10}, {"after", 12}}}}));

  // a again: back to a's price.
  const std::string a2 = Refresh(*d, "a");
  k1 = Record(*d, "books", "k1");
  EXPECT_EQ(k1["fields"]["price"], 10);
  EXPECT_EQ(k1["provenance"]["price"]["fetched_at"], a2);

  // a drops k1's name, which b has with the same value: the value now comes from b. No value of
  // the view changed, so the view has no change for it; the source has.
  const int64_t before_drop = LatestSeq(*d);
  Serve("a", json::array(
                 {{{"id", "k1"}, {"price", 10}}, {{"id", "k2"}, {"name", "Emma"}, {"price", 5}}}));
  Refresh(*d, "a");
  k1 = Record(*d, "books", "k1");
  EXPECT_EQ(k1["fields"]["name"], "Dune");
  EXPECT_EQ(k1["provenance"]["name"]["source"], "b");
  EXPECT_EQ(k1["provenance"]["name"]["fetched_at"], b1);
  const json dropped = ChangesSince(*d, before_drop, "");
  ASSERT_EQ(dropped.size(), 1u) << dropped.dump();
  EXPECT_EQ(dropped[0]["source"], "a");
  EXPECT_EQ(dropped[0]["fields"], json({{"name", {{"before", "Dune"}, {"after", nullptr}}}}));
  // What was stored is what a restart finds (the restart fetches both again; either may be
  // the latest for price, but only b has the name).
  ASSERT_TRUE(d->Terminate());
  d = Start(config);
  ASSERT_NE(d, nullptr);
  k1 = Record(*d, "books", "k1");
  EXPECT_EQ(k1["fields"]["name"], "Dune");
  EXPECT_EQ(k1["provenance"]["name"]["source"], "b");
}

TEST_F(MergePipelineTest, CoverageShowsDuplicatesAndRecordsWithoutAKey) {
  // a: "1" and "2" share the view key fr (after trim and casefold); "3" has no code, "4" an
  // empty one.
  Serve("a", json::array({{{"id", "1"}, {"code", "FR"}},
                          {{"id", "2"}, {"code", "fr "}},
                          {{"id", "3"}, {"name", "nowhere"}},
                          {{"id", "4"}, {"code", ""}}}));
  Serve("b", json::array({{{"code", "fr"}, {"name", "France"}}}));
  const auto config =
      Config({Source("a", "id", {"id", "code", "name"}), Source("b", "code", {"code", "name"})},
             {{{"id", "places"},
               {"key", "code"},
               {"normalize", {"trim", "casefold"}},
               {"sources", {"a", "b"}}}});
  auto d = Start(config);
  ASSERT_NE(d, nullptr);
  json coverage;
  ASSERT_TRUE(WaitUntil([&] {
    coverage = d->Get("/api/v1/views/places/coverage").Json();
    return coverage["keys"] == 1 && coverage["combinations"][0]["sources"] == json({"a", "b"}) &&
           coverage["without_key"]["a"]["records"] == 2;
  })) << coverage.dump()
      << "\n"
      << d->Log();
  EXPECT_EQ(coverage["without_key"]["a"]["keys"], json({"3", "4"}));
  EXPECT_EQ(coverage["without_key"]["b"], json({{"records", 0}, {"keys", json::array()}}));
  ASSERT_EQ(coverage["duplicates"].size(), 1u);
  EXPECT_EQ(coverage["duplicates"][0]["key"], "fr");
  EXPECT_EQ(coverage["duplicates"][0]["records"], json({{"a", {"1", "2"}}}));

  // 3 gets a code, 4 goes, 2 is no longer a duplicate: coverage follows incrementally.
  Serve("a", json::array({{{"id", "1"}, {"code", "FR"}},
                          {{"id", "2"}, {"code", "be"}},
                          {{"id", "3"}, {"code", "DE"}}}));
  Refresh(*d, "a");
  coverage = d->Get("/api/v1/views/places/coverage").Json();
  EXPECT_EQ(coverage["keys"], 3);
  EXPECT_EQ(coverage["without_key"]["a"], json({{"records", 0}, {"keys", json::array()}}));
  EXPECT_TRUE(coverage["duplicates"].empty()) << coverage.dump();

  // One loses its key again, then the daemon restarts: the stored coverage says the same.
  Serve("a", json::array({{{"id", "1"}, {"code", "FR"}},
                          {{"id", "2"}, {"code", "be"}},
                          {{"id", "3"}, {"code", " "}}}));
  Refresh(*d, "a");
  coverage = d->Get("/api/v1/views/places/coverage").Json();
  EXPECT_EQ(coverage["without_key"]["a"], json({{"records", 1}, {"keys", {"3"}}}));
  ASSERT_TRUE(d->Terminate());
  d = Start(config);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->Get("/api/v1/views/places/coverage").Json(), coverage);
}

// Sources a and b over four snapshots each: values change, records come and go, a record
// changes its key. After each step the view is what the daemon merged incrementally; a changed
// definition that merges to the same result makes a full recompute that must find nothing to
// change.
TEST_F(MergePipelineTest, IncrementalMergeStoresWhatAFullRecomputeWould) {
  const std::vector<json> a_steps = {
      json::array({{{"id", "1"}, {"name", "Dune"}, {"price", 10}, {"tags", {"sf"}}},
                   {{"id", "2"}, {"name", "Emma"}, {"price", 5}}}),
      json::array({{{"id", "1"}, {"name", "Dune"}, {"price", 11}, {"tags", {"sf", "classic"}}},
                   {{"id", "3"}, {"name", "Ulysses"}, {"price", 7}}}),
      json::array({{{"id", "1"}, {"name", " Dune"}, {"price", 11}},
                   {{"id", "4"}, {"name", "Ulysses"}, {"price", 7}}}),
  };
  const std::vector<json> b_steps = {
      json::array({{{"id", "1"}, {"name", "DUNE"}, {"price", 12}, {"tags", {"novel"}}}}),
      json::array({{{"id", "1"}, {"name", "dune"}, {"price", 12}},
                   {{"id", "2"}, {"name", "Emma"}, {"price", 6}},
                   {{"id", "3"}, {"name", "Ulysses"}}}),
      json::array({{{"id", "1"}, {"name", "dune"}, {"price", 12}},
                   {{"id", "2"}, {"name", "Emma"}, {"price", 6}},
                   {{"id", "4"}, {"name", "Ulysses"}, {"price", 8}}}),
  };
  Serve("a", a_steps[0]);
  Serve("b", b_steps[0]);
  json view = {{"id", "books"},
               {"key", "id"},
               {"sources", {"a", "b"}},
               {"fields",
                {{"name", {{"strategy", "vote"}, {"compare", {{"mode", "normalized"}}}}},
                 {"price", {{"strategy", "max"}}},
                 {"tags", {{"strategy", "union"}}}}}};
  auto config = Config({Source("a", "id", {"id", "name", "price", "tags"}),
                        Source("b", "id", {"id", "name", "price", "tags"})},
                       {view});
  auto d = Start(config);
  ASSERT_NE(d, nullptr);
  ASSERT_TRUE(WaitUntil([&] {
    return Record(*d, "books", "1")["sources"] == json({"a", "b"});
  })) << d->Log();
  for (size_t step = 1; step < a_steps.size(); ++step) {
    Serve("a", a_steps[step]);
    Refresh(*d, "a");
    Serve("b", b_steps[step]);
    Refresh(*d, "b");
  }
  // 1 from both ("Dune" and "dune" agree under normalized compare; a's spelling, b's higher
  // price), 2 from b only, 3 gone, 4 (a's renamed 3) from both.
  const json incremental = AllRecords(*d, "books");
  ASSERT_EQ(incremental.size(), 3u) << incremental.dump();
  EXPECT_EQ(incremental[0]["fields"], json({{"id", "1"}, {"name", "Dune"}, {"price", 12}}))
      << incremental.dump();
  EXPECT_EQ(incremental[1]["sources"], json({"b"}));
  EXPECT_EQ(incremental[2]["key"], "4");
  EXPECT_EQ(incremental[2]["fields"]["price"], 8);

  // A definition change that merges to the same records (the default compare mode, spelled
  // out): reloaded, the view is merged again in full, and nothing differs from what was stored.
  const int64_t seq = LatestSeq(*d);
  view["fields"]["tags"]["compare"] = {{"mode", "exact"}};
  config["views"] = json::array({view});
  std::ofstream(d->config_path()) << config.dump();
  auto reload = Post(*d, "/api/v1/admin/reload");
  ASSERT_EQ(reload.status, 200) << reload.body;
  // Updates run in order: once a later fetch is stored, the recompute is too.
  Refresh(*d, "a");
  EXPECT_NE(d->Log().find("view=books full merge of 3 keys"), std::string::npos) << d->Log();
  EXPECT_EQ(ChangesSince(*d, seq, "view=books"), json::array());
  json recomputed = AllRecords(*d, "books");
  ASSERT_EQ(recomputed.size(), incremental.size());
  for (size_t i = 0; i < recomputed.size(); ++i) {
    EXPECT_EQ(WithoutTimes(recomputed[i]), WithoutTimes(incremental[i]));
  }

  // A definition change that does change the result, applied by a restart: b first. Records
  // where the sources disagree change, with field-level differences.
  ASSERT_TRUE(d->Terminate());
  const int64_t before_restart = seq;
  view["sources"] = {"b", "a"};
  view["fields"]["price"] = {{"strategy", "min"}};
  config["views"] = json::array({view});
  d = Start(config);
  ASSERT_NE(d, nullptr);
  json changes;
  ASSERT_TRUE(WaitUntil([&] {
    changes = ChangesSince(*d, before_restart, "view=books");
    return changes.size() >= 2;
  })) << d->Log();
  ASSERT_EQ(changes.size(), 2u) << changes.dump();  // 2 has one source: unchanged
  const json one = ChangeOf(changes, "1");
  EXPECT_EQ(one["op"], "changed");
  // The agreeing names now take b's spelling; the lower price wins.
  EXPECT_EQ(one["fields"], json({{"name", {{"before", "Dune"}, {"after", "dune"}}},
                                 {"price", {{"before", 12}, {"after", 11}}}}));
  EXPECT_EQ(ChangeOf(changes, "4")["fields"], json({{"price", {{"before", 8}, {"after", 7}}}}));
  EXPECT_EQ(Record(*d, "books", "1")["sources"], json({"b", "a"}));
  EXPECT_EQ(Record(*d, "books", "4")["provenance"]["price"]["source"], "a");
}

// A full recompute larger than one merge job: the view's key changes from "id" to "code", so
// the recompute walks the new keys (2,000, 500 of them with a duplicate) and must remove every
// key merged under the old definition (2,500, none of which is a code). Every change is there
// once, and the records are exactly the new keys.
TEST_F(MergePipelineTest, AFullRecomputeOverSeveralJobsRemovesTheKeysItNoLongerHas) {
  json records = json::array();
  for (int i = 0; i < 2500; ++i) {
    records.push_back({{"id", "i" + std::to_string(i)},
                       {"code", "c" + std::to_string(i % 2000)},
                       {"name", "n" + std::to_string(i)}});
  }
  Serve("s", records);
  json view = {{"id", "v"}, {"key", "id"}, {"sources", {"s"}}};
  auto config = Config({Source("s", "id", {"id", "code", "name"})}, {view});
  auto d = Start(config);
  ASSERT_NE(d, nullptr);
  auto count = [&] {
    auto reply = d->Get("/api/v1/views/v/coverage");
    return reply.status == 200 ? reply.Json().value("keys", json(0)) : json(0);
  };
  ASSERT_TRUE(WaitUntil([&] { return count() == 2500; }))
      << d->Get("/api/v1/views/v/coverage").body;
  const int64_t seq = LatestSeq(*d);
  view["key"] = "code";
  config["views"] = json::array({view});
  std::ofstream(d->config_path()) << config.dump();
  ASSERT_EQ(Post(*d, "/api/v1/admin/reload").status, 200);
  Refresh(*d, "s");  // stored after the recompute (updates run in order)
  EXPECT_NE(d->Log().find("view=v full merge of 4500 keys"), std::string::npos) << d->Log();
  // Every change since, page by page.
  std::map<std::string, int> ops;
  std::set<std::string> keys;
  for (int64_t since = seq;;) {
    const json page = ChangesSince(*d, since, "view=v");
    if (page.empty()) break;
    for (const auto& c : page) {
      ++ops[c["op"].get<std::string>()];
      EXPECT_TRUE(keys.insert(c["key"].get<std::string>()).second) << c.dump();
      since = c["seq"].get<int64_t>();
    }
  }
  EXPECT_EQ(ops, (std::map<std::string, int>{{"added", 2000}, {"removed", 2500}}));
  EXPECT_EQ(count(), 2000);
  // The first of its records by source key: i2007 before i7.
  EXPECT_EQ(Record(*d, "v", "c7")["fields"]["id"], "i2007");
  EXPECT_EQ(Record(*d, "v", "i7"), json());
}

}  // namespace
}  // namespace tributary::testing
