#pragma once
// The pages of one run of a source, which together form one snapshot. Knows where the next
// page is: the URL range of the source's url ("page-{1..50}.html", expanded in order), the
// next-page URL extraction found (pagination "next" / "cursor"), or the HTTP
// `Link: <…>; rel="next"` header (pagination "link_header"). Stops at pagination.max_pages
// (or the range's end), and never fetches a URL twice in one run (a loop of next links ends).
// Records of later pages with a key already seen are dropped (the first page's record wins).
// Thread safety: none; one run is driven by the pipeline thread.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"
#include "fetchers/fetcher.hpp"
#include "merge/record.hpp"

namespace tributary::service {

class PageRun {
 public:
  explicit PageRun(const config::SourceConfig& source);

  // The URL of the first page.
  const std::string& first_url() const { return first_url_; }

  // Adds one page's records; returns the URL of the page to fetch next, or nullopt when the
  // run is complete. `next_url`: from the extraction; `headers`: the page's response headers.
  std::optional<std::string> AddPage(std::vector<merge::Record> records,
                                     const std::string& next_url, const fetchers::Headers& headers);

  // Adds one page's extraction statistics (the worker's "stats": candidates, filled ...).
  void AddStats(const nlohmann::json& stats);
  // The run's statistics: every page's counts summed.
  const nlohmann::json& stats() const { return stats_; }

  // Every page's records, in page order, duplicates dropped. The run takes no page after this,
  // so the key set that dropped duplicates goes too, and the records leave without the
  // vector's spare room: a finished run may wait in the ingest queue a while (thousands of
  // them at start-up with thousands of sources).
  std::vector<merge::Record> TakeRecords() {
    std::unordered_set<std::string>().swap(keys_);
    records_.shrink_to_fit();
    return std::move(records_);
  }

  int pages() const { return pages_; }
  size_t duplicates() const { return duplicates_; }
  // True when max_pages ended the run while pages remained.
  bool truncated() const { return truncated_; }

  // The rel="next" target of Link header values (RFC 8288), resolved against `base`.
  static std::optional<std::string> NextFromLink(const fetchers::Headers& headers,
                                                 const std::string& base);

 private:
  // Copied, not referenced: a run may outlive the config it was started from (a reload).
  bool link_header_;
  std::vector<std::string> range_;  // remaining URLs of a URL range, in order
  size_t range_next_ = 1;
  std::string first_url_;
  std::string last_url_;
  int pages_ = 0;
  int max_pages_;
  bool truncated_ = false;
  size_t duplicates_ = 0;
  std::unordered_set<std::string> fetched_;
  std::unordered_set<std::string> keys_;
  std::vector<merge::Record> records_;
  nlohmann::json stats_ = nlohmann::json::object();
};

}  // namespace tributary::service
