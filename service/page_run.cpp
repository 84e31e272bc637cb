#include "service/page_run.hpp"

#include "config/url_range.hpp"
#include "merge/extract/url_resolver.hpp"

namespace tributary::service {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string Resolve(const std::string& reference, const std::string& base) {
  return merge::extract::ResolveUrl(reference, base).value_or(reference);
}

// Whether a Link parameter list ("; rel=\"next prev\"; type=…") has rel containing "next".
bool RelIsNext(std::string_view params) {
  const std::string lower = Lower(std::string(params));
  size_t at = lower.find("rel");
  while (at != std::string::npos) {
    size_t i = at + 3;
    while (i < lower.size() && lower[i] == ' ') ++i;
    if (i < lower.size() && lower[i] == '=') {
      ++i;
      while (i < lower.size() && lower[i] == ' ') ++i;
      std::string value;
      if (i < lower.size() && lower[i] == '"') {
        const size_t end = lower.find('"', i + 1);
        value = lower.substr(i + 1, end == std::string::npos ? std::string::npos : end - i - 1);
      } else {
        const size_t end = lower.find_first_of(";, ", i);
        value = lower.substr(i, end == std::string::npos ? std::string::npos : end - i);
      }
      size_t start = 0;
      while (start <= value.size()) {
        size_t end = value.find(' ', start);
        if (end == std::string::npos) end = value.size();
        if (value.substr(start, end - start) == "next") return true;
        start = end + 1;
      }
    }
    at = lower.find("rel", at + 3);
  }
  return false;
}

}  // namespace

PageRun::PageRun(const config::SourceConfig& source)
    : link_header_(source.extraction.pagination.link_header),
      max_pages_(source.extraction.pagination.page_limit()) {
  // The config loader refused malformed ranges; a range of one page is that page.
  auto range = config::ExpandUrlRange(source.url);
  if (range && range->error.empty() && !range->urls.empty()) {
    range_ = std::move(range->urls);
    // A range alone pages through the whole range (within max_pages when it was set).
    if (source.extraction.pagination.max_pages == 0) max_pages_ = static_cast<int>(range_.size());
  }
  first_url_ = range_.empty() ? source.url : range_[0];
  last_url_ = first_url_;
  fetched_.insert(first_url_);
}

std::optional<std::string> PageRun::AddPage(std::vector<merge::Record> records,
                                            const std::string& next_url,
                                            const fetchers::Headers& headers) {
  ++pages_;
  for (auto& record : records) {
    if (!keys_.insert(record.key).second) {
      ++duplicates_;
      continue;
    }
    records_.push_back(std::move(record));
  }
  std::optional<std::string> next;
  if (!range_.empty()) {
    if (range_next_ < range_.size()) next = range_[range_next_++];
  } else if (!next_url.empty()) {
    next = next_url;
  } else if (link_header_) {
    next = NextFromLink(headers, last_url_);
  }
  if (!next || !fetched_.insert(*next).second) return std::nullopt;
  if (pages_ >= max_pages_) {
    truncated_ = true;
    return std::nullopt;
  }
  last_url_ = *next;
  return next;
}

void PageRun::AddStats(const nlohmann::json& stats) {
  if (!stats.is_object()) return;
  for (const auto& [name, value] : stats.items()) {
    if (value.is_number_unsigned() || value.is_number_integer()) {
      stats_[name] = stats_.value(name, uint64_t{0}) + value.get<uint64_t>();
    } else if (value.is_object()) {  // per-field counts: "filled", "invalid"
      auto& sums = stats_[name];
      if (!sums.is_object()) sums = nlohmann::json::object();
      for (const auto& [field, count] : value.items()) {
        if (count.is_number()) sums[field] = sums.value(field, uint64_t{0}) + count.get<uint64_t>();
      }
    }
  }
}

std::optional<std::string> PageRun::NextFromLink(const fetchers::Headers& headers,
                                                 const std::string& base) {
  for (const auto& [name, value] : headers) {
    if (Lower(name) != "link") continue;
    size_t pos = 0;
    while ((pos = value.find('<', pos)) != std::string::npos) {
      const size_t close = value.find('>', pos);
      if (close == std::string::npos) break;
      const size_t params_end = value.find('<', close);
      const std::string_view params = std::string_view(value).substr(
          close + 1, params_end == std::string::npos ? std::string::npos : params_end - close - 1);
      if (RelIsNext(params)) return Resolve(value.substr(pos + 1, close - pos - 1), base);
      pos = close + 1;
    }
  }
  return std::nullopt;
}

}  // namespace tributary::service
