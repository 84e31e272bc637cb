#include "service/conditional_fetch.hpp"

#include <gtest/gtest.h>

namespace tributary::service {
namespace {

using Verdict = ConditionalFetch::Verdict;

config::SourceConfig Source(std::string url = "http://x/feed.xml") {
  config::SourceConfig s;
  s.id = "feed";
  s.url = std::move(url);
  s.definition = config::DefinitionText({{"id", "feed"}, {"url", s.url}, {"records", "item"}});
  return s;
}

fetchers::FetchResult Ok(std::string body, fetchers::Headers headers = {}) {
  fetchers::FetchResult r;
  r.status = 200;
  r.body = std::move(body);
  r.bytes = r.body.size();
  r.wire_bytes = r.body.size() / 2;
  r.headers = std::move(headers);
  return r;
}

fetchers::FetchResult NotModified(fetchers::Headers headers = {}) {
  fetchers::FetchResult r;
  r.status = 304;
  r.headers = std::move(headers);
  return r;
}

std::string HeaderOf(const fetchers::FetchRequest& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}

// The validators a first, unconditional fetch leaves behind.
storage::FetchValidators After(const config::SourceConfig& source,
                               const fetchers::FetchResult& result) {
  ConditionalFetch first(source, source.url, std::nullopt);
  EXPECT_EQ(first.Judge(result), Verdict::kChanged);
  auto next = first.Next(result, Verdict::kChanged);
  EXPECT_TRUE(next.has_value());
  return *next;
}

TEST(ConditionalFetchTest, FirstFetchIsUnconditionalAndRemembersTheResponse) {
  const auto source = Source();
  ConditionalFetch c(source, source.url, std::nullopt);
  fetchers::FetchRequest request;
  c.AddHeaders(request);
  EXPECT_TRUE(request.headers.empty());
  EXPECT_FALSE(c.sent_conditional());
  const auto v = After(source, Ok("<rss/>", {{"etag", "\"e1\""}, {"last-modified", "Mon"}}));
  EXPECT_EQ(v.source_id, "feed");
  EXPECT_EQ(v.url, source.url);
  EXPECT_EQ(v.etag, "\"e1\"");
  EXPECT_EQ(v.last_modified, "Mon");
  EXPECT_EQ(v.body_hash, ConditionalFetch::BodyHash("<rss/>"));
  EXPECT_EQ(v.body_hash.size(), 32u);
  EXPECT_EQ(v.body_bytes, 6u);
  EXPECT_EQ(v.wire_bytes, 3u);
  EXPECT_EQ(v.definition_hash, ConditionalFetch::DefinitionHash(source));
}

TEST(ConditionalFetchTest, SendsStoredValidatorsAndJudgesA304) {
  const auto source = Source();
  const auto stored = After(source, Ok("<rss/>", {{"etag", "\"e1\""}, {"last-modified", "Mon"}}));
  ConditionalFetch c(source, source.url, stored);
  fetchers::FetchRequest request;
  c.AddHeaders(request);
  EXPECT_EQ(HeaderOf(request, "If-None-Match"), "\"e1\"");
  EXPECT_EQ(HeaderOf(request, "If-Modified-Since"), "Mon");
  EXPECT_TRUE(c.sent_conditional());
  EXPECT_EQ(c.Judge(NotModified({{"etag", "\"e2\""}})), Verdict::kNotModified);
  EXPECT_EQ(c.BytesSaved(), 3u);
  // A 304 keeps the body hash and takes the validators it carries.
  auto next = c.Next(NotModified({{"etag", "\"e2\""}}), Verdict::kNotModified);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->etag, "\"e2\"");
  EXPECT_EQ(next->last_modified, "Mon");
  EXPECT_EQ(next->body_hash, stored.body_hash);
  EXPECT_EQ(next->wire_bytes, 3u);
}

TEST(ConditionalFetchTest, SameBodyIsUnchangedOtherBodyIsChanged) {
  const auto source = Source();
  const auto stored = After(source, Ok("<rss>1</rss>"));  // no validators at all
  {
    ConditionalFetch c(source, source.url, stored);
    fetchers::FetchRequest request;
    c.AddHeaders(request);
    EXPECT_TRUE(request.headers.empty()) << "nothing to send without ETag / Last-Modified";
    EXPECT_EQ(c.Judge(Ok("<rss>1</rss>")), Verdict::kUnchanged);
    EXPECT_EQ(c.BytesSaved(), 6u) << "reported only for a 304 by the pipeline";
  }
  ConditionalFetch c(source, source.url, stored);
  EXPECT_EQ(c.Judge(Ok("<rss>2</rss>", {{"etag", "\"n\""}})), Verdict::kChanged);
  auto next = c.Next(Ok("<rss>2</rss>", {{"etag", "\"n\""}}), Verdict::kChanged);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->etag, "\"n\"");
  EXPECT_EQ(next->body_hash, ConditionalFetch::BodyHash("<rss>2</rss>"));
}

TEST(ConditionalFetchTest, AnotherDefinitionOrUrlIgnoresTheStoredValidators) {
  auto source = Source();
  const auto stored = After(source, Ok("<rss/>", {{"etag", "\"e1\""}}));
  auto changed = source;
  changed.definition =
      config::DefinitionText({{"id", "feed"}, {"url", source.url}, {"records", "entry"}});
  ConditionalFetch c(changed, changed.url, stored);
  fetchers::FetchRequest request;
  c.AddHeaders(request);
  EXPECT_TRUE(request.headers.empty());
  EXPECT_EQ(c.Judge(Ok("<rss/>")), Verdict::kChanged) << "the new definition must extract";

  ConditionalFetch moved(source, "http://x/other.xml", stored);
  fetchers::FetchRequest r2;
  moved.AddHeaders(r2);
  EXPECT_TRUE(r2.headers.empty());
}

TEST(ConditionalFetchTest, OnlyGetAndOnlyWithoutTheSourcesOwnConditions) {
  const auto source = Source();
  const auto stored = After(source, Ok("<rss/>", {{"etag", "\"e1\""}}));
  ConditionalFetch post(source, source.url, stored);
  fetchers::FetchRequest r;
  r.method = "POST";
  post.AddHeaders(r);
  EXPECT_TRUE(r.headers.empty());
  EXPECT_EQ(post.Judge(Ok("<rss/>")), Verdict::kUnchanged) << "the body hash still applies";

  ConditionalFetch own(source, source.url, stored);
  fetchers::FetchRequest r2;
  r2.headers = {{"if-none-match", "\"mine\""}};
  own.AddHeaders(r2);
  EXPECT_EQ(r2.headers.size(), 1u);
  EXPECT_FALSE(own.sent_conditional());
}

TEST(ConditionalFetchTest, PaginatedSourcesAreNotEligible) {
  EXPECT_TRUE(ConditionalFetch::Eligible(Source()));
  EXPECT_FALSE(ConditionalFetch::Eligible(Source("http://x/page-{1..3}.html")));
  auto paged = Source();
  paged.extraction.pagination.next = "a.next::attr(href)";
  EXPECT_FALSE(ConditionalFetch::Eligible(paged));
  ConditionalFetch c(paged, paged.url, std::nullopt);
  EXPECT_FALSE(c.Next(Ok("x"), Verdict::kChanged).has_value());
}

}  // namespace
}  // namespace tributary::service
