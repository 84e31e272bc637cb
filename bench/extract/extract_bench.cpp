// bench/extract: Tributary's extractor, in one thread as in one worker process, over every page
// of a directory, for at least the given seconds: the page title, every link and every price.
// Prints one JSON line: pages/s, MB/s and what was extracted from one pass (for the
// comparison with lxml and parsel, which extract the same).
//   extract_bench <dir> [seconds]
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "config/loader.hpp"
#include "merge/extract/extractor.hpp"

namespace fs = std::filesystem;
using tributary::merge::extract::Extract;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: extract_bench <dir> [seconds]\n";
    return 2;
  }
  const double seconds = argc > 2 ? std::stod(argv[2]) : 10.0;
  std::vector<std::string> pages;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(argv[1])) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  size_t bytes_per_pass = 0;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    pages.push_back(s.str());
    bytes_per_pass += pages.back().size();
  }
  std::vector<tributary::config::ConfigError> errors;
  const auto source = tributary::config::ParseSource(
      nlohmann::json::parse(R"j({"id": "bench", "url": "http://bench.example/",
        "format": "html", "key": "title", "fields": {"title": "title::text",
        "links": {"select": "a::attr(href)", "multiple": true, "trim": false},
        "prices": {"select": "p.price_color::text", "multiple": true}}})j"),
      "source", errors);
  if (!source) {
    std::cerr << "bad source definition\n";
    return 2;
  }
  size_t links = 0;
  size_t prices = 0;
  for (const auto& page : pages) {  // one pass for the counts (and a warm-up)
    auto out = Extract(*source, {page, "text/html; charset=utf-8", "http://bench.example/"});
    if (!out || out->records.size() != 1) {
      std::cerr << "extraction failed: " << (out ? "no record" : out.error().message) << "\n";
      return 1;
    }
    links += out->records[0].fields.value("links", nlohmann::json::array()).size();
    prices += out->records[0].fields.value("prices", nlohmann::json::array()).size();
  }
  const auto start = std::chrono::steady_clock::now();
  size_t done = 0;
  double elapsed = 0;
  while (elapsed < seconds) {
    for (const auto& page : pages) {
      auto out = Extract(*source, {page, "text/html; charset=utf-8", "http://bench.example/"});
      if (!out) return 1;
      ++done;
    }
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  const double mb = static_cast<double>(bytes_per_pass) * static_cast<double>(done) /
                    static_cast<double>(pages.size()) / 1e6;
  std::cout << nlohmann::json{{"impl", "tributary"},
                              {"pages", pages.size()},
                              {"links_per_pass", links},
                              {"prices_per_pass", prices},
                              {"pages_per_s", static_cast<double>(done) / elapsed},
                              {"mb_per_s", mb / elapsed}}
                   .dump()
            << "\n";
  return 0;
}
