// Extraction as a new user tries it, through the real binary: one configuration with the books
// listing pages (paginated by their "next" link), a feed, a JSON API and a CSV file, served by
// a loopback origin from the shared corpus; the API must show exactly the records those
// documents contain.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/integration/daemon_process.hpp"
#include "tests/support/origin.hpp"

namespace tributary::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test_support::Response;
using test_support::TestOrigin;

fs::path Corpus() {
  if (const char* c = std::getenv("TRIBUTARY_CORPUS"); c != nullptr && *c) return c;
  return fs::path(SourceDir()) / ".." / "shared" / "corpus";
}

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class ExtractionDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    corpus_ = Corpus();
    if (!fs::exists(corpus_ / "books_toscrape" / "index.html")) {
      GTEST_SKIP() << "corpus not found (set TRIBUTARY_CORPUS)";
    }
  }

  // Every record of a view, following next_cursor.
  static json AllRecords(const DaemonProcess& d, const std::string& view) {
    json all = json::array();
    std::string cursor;
    for (int guard = 0; guard < 100; ++guard) {
      auto reply = d.Get("/api/v1/views/" + view + "/records?limit=1000" +
                         (cursor.empty() ? "" : "&cursor=" + cursor));
      if (reply.status != 200) return all;
      const json page = reply.Json();
      for (const auto& r : page["records"]) all.push_back(r);
      const json next = page.value("next_cursor", json());
      cursor = next.is_string() ? next.get<std::string>() : "";
      if (cursor.empty()) break;
    }
    return all;
  }

  fs::path corpus_;
  TempDir dir_;
  TestOrigin origin_;
};

TEST_F(ExtractionDaemonTest, BooksFeedJsonAndCsvYieldExactlyTheirRecords) {
  const auto books = corpus_ / "books_toscrape";
  // Served as the site was: the home page at "/", listing pages 2-49 under /catalogue/
  // (page 49's "next" link leads to a 404: page 50 is missing upstream).
  origin_.Route("/", Response{200, {{"Content-Type", "text/html"}}, Read(books / "index.html")});
  origin_.ServeDirectory("/catalogue/", (books / "catalogue").string());
  const auto feed_file =
      corpus_ / "feeds/feed_rs_fixtures/feed-rs/fixture/atom/atom_mediarss_reddit_1.xml";
  origin_.Route("/feed.xml",
                Response{200, {{"Content-Type", "application/atom+xml"}}, Read(feed_file)});
  origin_.Route("/api/countries.json",
                Response{200,
                         {{"Content-Type", "application/json"}},
                         Read(corpus_ / "countries/mledoze_countries/countries.json")});
  origin_.Route("/countries.csv", Response{200,
                                           {{"Content-Type", "text/csv"}},
                                           Read(corpus_ / "countries/lukes_iso3166/all/all.csv")});

  json config = {
      {"listen", "127.0.0.1:0"},
      {"data_dir", dir_.path() + "/data"},
      {"fetch", {{"allow_private_networks", true}}},
      {"workers", {{"processes", 2}}},
      {"sources",
       {{{"id", "books"},
         {"url", origin_.Url("/")},
         {"every", "1h"},
         {"format", "html"},
         {"records", "article.product_pod"},
         {"key", "id"},
         {"pagination", {{"next", "li.next a::attr(href)"}}},
         {"fields",
          {{"id", {{"select", "h3 a::attr(href)"}, {"regex", "_(\\d+)/index\\.html"}}},
           {"title", "h3 a::attr(title)"},
           {"price", {{"select", "p.price_color::text"}, {"type", "number"}}}}}},
        {{"id", "reddit"}, {"url", origin_.Url("/feed.xml")}, {"every", "1h"}, {"format", "feed"}},
        {{"id", "countries"},
         {"url", origin_.Url("/api/countries.json")},
         {"every", "1h"},
         {"format", "json"},
         {"records", "$[*]"},
         {"key", "code"},
         {"fields", {{"code", "$.cca2"}, {"name", "$.name.common"}}}},
        {{"id", "iso"},
         {"url", origin_.Url("/countries.csv")},
         {"every", "1h"},
         {"format", "csv"},
         {"key", "alpha-2"}}}},
      {"views",
       {{{"id", "books"}, {"sources", {"books"}}},
        {{"id", "reddit"}, {"sources", {"reddit"}}},
        {{"id", "countries"}, {"sources", {"countries"}}},
        {{"id", "iso"}, {"sources", {"iso"}}}}}};
  std::string error;
  auto d = DaemonProcess::Start(dir_.path(), config, &error);
  ASSERT_NE(d, nullptr) << error;

  const std::map<std::string, size_t> expected = {
      {"books", 980}, {"reddit", 25}, {"countries", 250}, {"iso", 249}};
  std::map<std::string, json> records;
  for (const auto& [view, count] : expected) {
    const bool ok = WaitUntil(
        [&] {
          records[view] = AllRecords(*d, view);
          return records[view].size() >= count;
        },
        std::chrono::seconds(60));
    EXPECT_TRUE(ok) << view << ": " << records[view].size() << " records; log:\n" << d->Log();
    EXPECT_EQ(records[view].size(), count) << view;
  }

  // Books: ids 21..1000 (page 50, ids 1-20, is missing), titles and prices as on the pages.
  std::set<int> ids;
  for (const auto& r : records["books"]) ids.insert(std::stoi(r["key"].get<std::string>()));
  ASSERT_EQ(ids.size(), 980u);
  EXPECT_EQ(*ids.begin(), 21);
  EXPECT_EQ(*ids.rbegin(), 1000);
  for (const auto& r : records["books"]) {
    if (r["key"] == "1000") {
      EXPECT_EQ(r["fields"]["title"], "A Light in the Attic");
      EXPECT_DOUBLE_EQ(r["fields"]["price"].get<double>(), 51.77);
    }
  }
  // The paginated source is one snapshot of 49 pages, and its health says so.
  auto books_source = d->Get("/api/v1/sources/books").Json();
  EXPECT_EQ(books_source.dump().find("\"pages\":49") != std::string::npos, true)
      << books_source.dump();

  // The feed: feed-rs's expected output for this file lists these 25 entries.
  const json want = json::parse(Read(
      corpus_ / "feeds/feed_rs_fixtures/feed-rs/fixture/atom/atom_mediarss_reddit_1.serde.json"));
  std::set<std::string> want_ids;
  for (const auto& e : want["entries"]) want_ids.insert(e["id"].get<std::string>());
  std::set<std::string> got_ids;
  for (const auto& r : records["reddit"]) got_ids.insert(r["key"].get<std::string>());
  EXPECT_EQ(got_ids, want_ids);

  // JSON via JSONPath, CSV by its header row.
  bool found_ch = false;
  for (const auto& r : records["countries"]) {
    if (r["key"] == "CH") found_ch = r["fields"]["name"] == "Switzerland";
  }
  EXPECT_TRUE(found_ch);
  bool found_de = false;
  for (const auto& r : records["iso"]) {
    if (r["key"] == "DE")
      found_de = r["fields"]["alpha-3"] == "DEU" && r["fields"]["name"] == "Germany";
  }
  EXPECT_TRUE(found_de);
  EXPECT_EQ(d->Terminate(), 0);
}

}  // namespace
}  // namespace tributary::testing
