// Querying through real HTTP: filters, sort, projection, cursors, formats, ETag, gzip, errors.
#include <set>

#include "tests/integration/api_test_util.hpp"

namespace tributary::testing {
namespace {

class ApiQueryTest : public ApiTestBase {};

std::vector<std::string> Keys(const HttpReply& reply) {
  std::vector<std::string> keys;
  // The body in a local: a member of a temporary would dangle in the range-for (before C++23).
  const auto body = reply.Json();
  for (const auto& r : body["records"]) keys.push_back(r["key"]);
  return keys;
}

TEST_F(ApiQueryTest, FiltersSortsProjectsAndPages) {
  auto d = Start(ApiExampleConfig(origin_, dir_.path() + "/data"));
  ASSERT_TRUE(d);
  WaitForBooks(*d);

  // The cheapest books first, only title and price.
  auto cheap =
      d->Get("/api/v1/views/books/records?filter=price%3C20&sort=price&fields=title,price");
  ASSERT_EQ(cheap.status, 200) << cheap.body;
  auto records = cheap.Json()["records"];
  ASSERT_FALSE(records.empty());
  double last = 0;
  for (const auto& r : records) {
    EXPECT_LT(r["fields"]["price"].get<double>(), 20);
    EXPECT_GE(r["fields"]["price"].get<double>(), last);
    last = r["fields"]["price"].get<double>();
    EXPECT_EQ(r["fields"].size(), 2u) << r.dump();
  }
  EXPECT_EQ(cheap.headers["x-total-count"], std::to_string(records.size()));

  // Several filters AND; sources and substring.
  auto both =
      d->Get("/api/v1/views/books/records?filter=sources%3Dshop&filter=sources%3Dwarehouse");
  const auto both_body = both.Json();
  EXPECT_FALSE(both_body["records"].empty()) << both.body;
  for (const auto& r : both_body["records"]) EXPECT_EQ(r["sources"].size(), 2u);
  auto salt = d->Get("/api/v1/views/books/records?filter=title~salt");
  EXPECT_EQ(Keys(salt), std::vector<std::string>{"The Salt Road"}) << salt.status << salt.body;
  auto in = d->Get("/api/v1/views/books/records?filter=" +
                   std::string("title%20in%20The%20Salt%20Road,The%20Quiet%20Harbour"));
  EXPECT_EQ(Keys(in).size(), 2u) << in.body;

  // Descending sort, paged with cursors: every record once, in order.
  std::vector<std::string> seen;
  std::string cursor;
  for (int i = 0; i < 10; ++i) {
    auto page = d->Get("/api/v1/views/books/records?sort=-price&limit=2" +
                       (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(page.status, 200) << page.body;
    for (const auto& k : Keys(page)) seen.push_back(k);
    if (page.Json()["next_cursor"].is_null()) break;
    cursor = page.Json()["next_cursor"];
    EXPECT_EQ(page.headers["x-next-cursor"], cursor);
    EXPECT_NE(page.headers["link"].find("rel=\"next\""), std::string::npos);
  }
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 6u);
  EXPECT_EQ(seen, Keys(d->Get("/api/v1/views/books/records?sort=-price")));
}

TEST_F(ApiQueryTest, NdjsonAndCsvByAcceptOrFormat) {
  auto d = Start(ApiExampleConfig(origin_, dir_.path() + "/data"));
  ASSERT_TRUE(d);
  WaitForBooks(*d);
  auto nd = Call(*d, "GET", "/api/v1/views/books/records", {}, {"Accept: application/x-ndjson"});
  ASSERT_EQ(nd.status, 200);
  EXPECT_EQ(nd.headers["content-type"], "application/x-ndjson");
  EXPECT_EQ(std::count(nd.body.begin(), nd.body.end(), '\n'), 6);
  EXPECT_TRUE(nlohmann::json::parse(nd.body.substr(0, nd.body.find('\n'))).contains("key"));

  auto csv = d->Get("/api/v1/views/books/records?format=csv&fields=title,price&sort=title");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.headers["content-type"], "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body.substr(0, csv.body.find('\r')), "key,title,price,sources");
  EXPECT_NE(csv.body.find("The Salt Road,The Salt Road,14.2,shop;warehouse\r\n"), std::string::npos)
      << csv.body;

  auto source =
      d->Get("/api/v1/sources/warehouse/records?format=csv&fields=stock&filter=stock%3E0");
  ASSERT_EQ(source.status, 200) << source.body;
  EXPECT_EQ(source.body.substr(0, source.body.find('\r')), "key,stock,sources");

  auto refused = Call(*d, "GET", "/api/v1/views/books/records", {}, {"Accept: image/png"});
  EXPECT_EQ(refused.status, 406);
  EXPECT_EQ(refused.Json()["error"]["code"], "not_acceptable");
}

TEST_F(ApiQueryTest, ETagsGiveNotModifiedAndGzipWhenAccepted) {
  auto d = Start(ApiExampleConfig(origin_, dir_.path() + "/data"));
  ASSERT_TRUE(d);
  WaitForBooks(*d);
  for (const std::string path : {"/api/v1/views/books/records", "/api/v1/sources", "/api/v1/views",
                                 "/api/v1/sources/shop/records"}) {
    auto first = d->Get(path);
    ASSERT_EQ(first.status, 200);
    const std::string etag = first.headers["etag"];
    ASSERT_FALSE(etag.empty()) << path;
    auto again = Call(*d, "GET", path, {}, {"If-None-Match: " + etag});
    EXPECT_EQ(again.status, 304) << path;
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(again.headers["etag"], etag);
  }
  auto gz = Call(*d, "GET", "/api/v1/views/books/records", {}, {"Accept-Encoding: gzip"});
  ASSERT_EQ(gz.status, 200);
  EXPECT_EQ(gz.headers["content-encoding"], "gzip");
  ASSERT_GE(gz.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz.body[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz.body[1]), 0x8b);
  // The gzip variant's tag revalidates too.
  auto gz_again = Call(*d, "GET", "/api/v1/views/books/records", {},
                       {"Accept-Encoding: gzip", "If-None-Match: " + gz.headers["etag"]});
  EXPECT_EQ(gz_again.status, 304);
}

TEST_F(ApiQueryTest, InvalidParametersAreNamed) {
  auto d = Start(ApiExampleConfig(origin_, dir_.path() + "/data"));
  ASSERT_TRUE(d);
  struct Case {
    std::string query;
    std::string parameter;
  };
  for (const auto& c : std::vector<Case>{{"filter=price", "filter"},
                                         {"filter=prcie%3C3", "filter"},
                                         {"sort=-", "sort"},
                                         {"fields=", "fields"},
                                         {"limit=100000", "limit"},
                                         {"cursor=abc", "cursor"},
                                         {"format=xml", "format"}}) {
    auto reply = d->Get("/api/v1/views/books/records?" + c.query);
    EXPECT_EQ(reply.status, 400) << c.query;
    auto error = reply.Json()["error"];
    EXPECT_EQ(error["code"], "invalid_parameter") << c.query;
    EXPECT_EQ(error["parameter"], c.parameter) << c.query;
    EXPECT_EQ(error["message"].get<std::string>().rfind(c.parameter + ": ", 0), 0u) << error.dump();
  }
  auto typo = d->Get("/api/v1/views/books/records?filter=prcie%3C3").Json();
  EXPECT_NE(typo["error"]["message"].get<std::string>().find("did you mean \"price\""),
            std::string::npos);
  EXPECT_EQ(d->Get("/api/v1/sources/nope/records").status, 404);
  EXPECT_EQ(d->Get("/api/v1/changes?since=x").status, 400);
  EXPECT_EQ(d->Get("/api/v1/changes?wait=1y").status, 400);
  EXPECT_EQ(d->Get("/api/v1/changes?view=nope").status, 400);
}

// The README's example page ends with a next_cursor: passing it on must work as documented
// (cursors carry a version; an example of an old version is refused as invalid).
TEST_F(ApiQueryTest, TheReadmeExampleCursorIsOneTheApiAccepts) {
  std::ifstream in(SourceDir() + "/README.md");
  const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string marker = "\"next_cursor\": \"";
  const auto at = readme.find(marker);
  ASSERT_NE(at, std::string::npos) << "no example next_cursor in README.md";
  const auto start = at + marker.size();
  const std::string cursor = readme.substr(start, readme.find('"', start) - start);
  auto d = Start(ApiExampleConfig(origin_, dir_.path() + "/data"));
  ASSERT_TRUE(d);
  WaitForBooks(*d);
  auto first = d->Get("/api/v1/views/books/records?limit=1");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(Keys(first), std::vector<std::string>{"A Map of Small Rivers"});
  EXPECT_EQ(first.Json()["next_cursor"], cursor);
  auto next = d->Get("/api/v1/views/books/records?limit=1&cursor=" + cursor);
  ASSERT_EQ(next.status, 200) << next.body;
  ASSERT_EQ(Keys(next).size(), 1u);
  EXPECT_GT(Keys(next)[0], "A Map of Small Rivers");
}

TEST_F(ApiQueryTest, ExplainsASourceAndServesTheOpenApiDocument) {
  auto d = Start(ApiExampleConfig(origin_, dir_.path() + "/data"));
  ASSERT_TRUE(d);
  WaitForBooks(*d);
  auto shop = d->Get("/api/v1/sources/shop").Json();
  EXPECT_EQ(shop["id"], "shop");
  EXPECT_TRUE(shop["definition"].is_object());
  EXPECT_FALSE(shop["recent_fetches"].empty());
  EXPECT_EQ(shop["stored"]["records"], 5);
  EXPECT_EQ(shop["stored"]["fields"]["title"]["filled"], 5);
  EXPECT_TRUE(shop["schedule"].contains("next_due")) << shop.dump();
  EXPECT_EQ(shop["paused"], false);

  auto openapi = d->Get("/api/v1/openapi.json");
  ASSERT_EQ(openapi.status, 200);
  std::ifstream in(SourceDir() + "/docs/openapi.json");
  EXPECT_EQ(openapi.Json(), nlohmann::json::parse(in));
  EXPECT_EQ(openapi.Json()["openapi"], "3.1.0");
}

}  // namespace
}  // namespace tributary::testing
