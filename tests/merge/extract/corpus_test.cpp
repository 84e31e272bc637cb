#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "merge/extract/extractor.hpp"

namespace tributary::merge::extract {
namespace {

namespace fs = std::filesystem;
using config::FieldSpec;
using config::Format;
using config::SourceConfig;
using config::ValueType;

// $TRIBUTARY_CORPUS, else $TRIBUTARY_SOURCE_DIR/../shared/corpus; empty when neither exists.
fs::path CorpusDir() {
  if (const char* corpus = std::getenv("TRIBUTARY_CORPUS"); corpus != nullptr && *corpus) {
    return corpus;
  }
  if (const char* source = std::getenv("TRIBUTARY_SOURCE_DIR"); source != nullptr && *source) {
    return fs::path(source) / ".." / "shared" / "corpus";
  }
  return {};
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

FieldSpec Field(std::string name, std::string select, ValueType type = ValueType::kString) {
  FieldSpec f;
  f.name = std::move(name);
  f.select = std::move(select);
  f.type = type;
  return f;
}

SourceConfig BooksListing(std::vector<std::string> key = {}) {
  SourceConfig s;
  s.id = "books";
  s.format = Format::kHtml;
  s.records = "article.product_pod";
  s.fields = {Field("title", "h3 a::attr(title)"),
              Field("price", "p.price_color::text", ValueType::kNumber),
              Field("url", "h3 a::attr(href)", ValueType::kUrl)};
  s.key = std::move(key);
  return s;
}

std::string DecodeEntities(std::string s) {
  const std::pair<const char*, const char*> entities[] = {
      {"&quot;", "\""}, {"&#39;", "'"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}};
  for (const auto& [from, to] : entities) {
    for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos)) {
      s.replace(pos, std::strlen(from), to);
      pos += std::strlen(to);
    }
  }
  return s;
}

// An independent scan of the listing page: each <h3><a ... title="..."> and price_color text,
// found with plain string searches rather than an HTML parser.
std::vector<std::pair<std::string, std::string>> ScanListing(const std::string& html) {
  std::vector<std::pair<std::string, std::string>> out;
  constexpr std::string_view kLink = "<h3><a ";
  constexpr std::string_view kPrice = "<p class=\"price_color\">";
  size_t pos = 0;
  while ((pos = html.find(kLink, pos)) != std::string::npos) {
    const size_t tag_end = html.find('>', html.find("title=", pos));
    const size_t title = html.find("title=", pos) + 6;
    const char quote = html[title];
    const size_t title_end = html.find(quote, title + 1);
    const size_t price = html.find(kPrice, tag_end) + kPrice.size();
    const size_t price_end = html.find('<', price);
    if (title_end == std::string::npos || price_end == std::string::npos) break;
    out.emplace_back(DecodeEntities(html.substr(title + 1, title_end - title - 1)),
                     html.substr(price, price_end - price));
    pos = price_end;
  }
  return out;
}

class CorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    corpus_ = CorpusDir();
    if (corpus_.empty() || !fs::exists(corpus_ / "books_toscrape" / "catalogue")) {
      GTEST_SKIP() << "corpus not found (set TRIBUTARY_CORPUS)";
    }
  }
  fs::path corpus_;
};

TEST_F(CorpusTest, BooksListingPage2) {
  const std::string html = ReadFile(corpus_ / "books_toscrape/catalogue/page-2.html");
  auto out = Extract(BooksListing(),
                     {html, "text/html", "http://books.toscrape.com/catalogue/page-2.html"});
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->records.size(), 20u);
  EXPECT_EQ(out->stats.filled,
            (std::map<std::string, size_t>{{"title", 20}, {"price", 20}, {"url", 20}}));
  const auto truth = ScanListing(html);
  ASSERT_EQ(truth.size(), 20u);
  for (size_t i = 0; i < truth.size(); ++i) {
    const auto& fields = out->records[i].fields;
    EXPECT_EQ(fields["title"], truth[i].first) << i;
    // "£12.84" -> 12.84, computed here without the extractor's number parser.
    const std::string digits = truth[i].second.substr(truth[i].second.find_first_of("0123456789"));
    EXPECT_DOUBLE_EQ(fields["price"].get<double>(), std::stod(digits)) << i;
    EXPECT_TRUE(
        fields["url"].get<std::string>().starts_with("http://books.toscrape.com/catalogue/"))
        << fields["url"];
  }
  EXPECT_EQ(out->records[0].fields["url"],
            "http://books.toscrape.com/catalogue/in-her-wake_980/index.html");
}

TEST_F(CorpusTest, AllBookListingPages) {
  size_t total = 0;
  size_t duplicates = 0;
  std::map<std::string, int> titles;
  for (int page = 1; page <= 49; ++page) {
    const std::string name = "page-" + std::to_string(page) + ".html";
    const std::string html = ReadFile(corpus_ / "books_toscrape/catalogue" / name);
    ASSERT_FALSE(html.empty()) << name;
    auto out = Extract(BooksListing({"title"}),
                       {html, "text/html", "http://books.toscrape.com/catalogue/" + name});
    ASSERT_TRUE(out.ok()) << name << ": " << out.error().message;
    EXPECT_EQ(out->stats.candidates, 20u) << name;
    EXPECT_EQ(out->records.size(), 20u) << name;
    EXPECT_EQ(out->stats.filled["price"], 20u) << name;
    total += out->records.size();
    for (const auto& r : out->records) ++titles[r.key];
  }
  EXPECT_EQ(total, 980u);
  for (const auto& [title, count] : titles) {
    if (count > 1) {
      ++duplicates;
      EXPECT_EQ(title, "The Star-Touched Queen");
    }
  }
  EXPECT_EQ(duplicates, 1u);
  // Within one extraction, the duplicate is reported, not kept.
  std::string both = ReadFile(corpus_ / "books_toscrape/catalogue/page-12.html") +
                     ReadFile(corpus_ / "books_toscrape/catalogue/page-18.html");
  auto out = Extract(BooksListing({"title"}), {both, "text/html", "http://books.toscrape.com/"});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->stats.candidates, 40u);
  EXPECT_EQ(out->stats.duplicate_keys, 1u);
  EXPECT_EQ(out->records.size(), 39u);
}

TEST_F(CorpusTest, SingleQuotedTitleWithDoubleQuotes) {
  const std::string html = ReadFile(corpus_ / "books_toscrape/catalogue/page-25.html");
  auto out = Extract(BooksListing(), {html, "text/html", "http://books.toscrape.com/"});
  ASSERT_TRUE(out.ok());
  const auto truth = ScanListing(html);
  ASSERT_EQ(out->records.size(), truth.size());
  bool saw_quote = false;
  for (size_t i = 0; i < truth.size(); ++i) {
    EXPECT_EQ(out->records[i].fields["title"], truth[i].first);
    saw_quote = saw_quote || truth[i].first.find('"') != std::string::npos;
  }
  EXPECT_TRUE(saw_quote) << "page 25 has a title with double quotes";
}

TEST_F(CorpusTest, HtmlRobustnessFilesNeverCrash) {
  const fs::path dir = corpus_ / "html_robustness";
  if (!fs::exists(dir)) GTEST_SKIP() << "no html_robustness corpus";
  SourceConfig links;
  links.format = Format::kHtml;
  links.records = "a[href], div > p:first-child, td:nth-child(2n+1)";
  links.fields = {Field("text", ""), Field("own", "::text"),
                  Field("href", "::attr(href)", ValueType::kUrl),
                  Field("n", "xpath:count(.//*)", ValueType::kInteger)};
  SourceConfig whole;
  whole.format = Format::kAuto;
  whole.fields = {Field("title", "title"), Field("body", "body")};
  size_t files = 0;
  size_t records = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string ext = entry.path().extension().string();
    if (ext != ".html" && ext != ".xhtml" && ext != ".htm") continue;
    const std::string body = ReadFile(entry.path());
    ++files;
    auto out = Extract(links, {body, "", "http://example.com/dir/page.html"});
    if (!out.ok()) {
      EXPECT_EQ(out.error().message, "the document is empty") << entry.path();
      continue;
    }
    records += out->records.size();
    auto again = Extract(whole, {body, "text/html; charset=utf-8", "http://example.com/"});
    EXPECT_TRUE(again.ok()) << entry.path() << ": " << again.error().message;
  }
  EXPECT_GT(files, 250u);
  EXPECT_GT(records, 1000u);
}

}  // namespace
}  // namespace tributary::merge::extract
