#include "service/conditional_fetch.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cctype>
#include <chrono>
#include <cstdio>

#include "config/url_range.hpp"

namespace tributary::service {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool HasHeader(const fetchers::Headers& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return true;
  }
  return false;
}

// Response header names are lower-cased by the fetch engine.
std::optional<std::string> ResponseHeader(const fetchers::FetchResult& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::string Hex128(std::string_view bytes) {
  const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  char out[33];
  std::snprintf(out, sizeof out, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return std::string(out, 32);
}

}  // namespace

ConditionalFetch::ConditionalFetch(const config::SourceConfig& source, const std::string& url,
                                   std::optional<storage::FetchValidators> stored)
    : eligible_(Eligible(source)),
      source_id_(source.id),
      url_(url),
      definition_hash_(DefinitionHash(source)),
      stored_(std::move(stored)) {
  usable_ = eligible_ && stored_ && stored_->url == url_ &&
            stored_->definition_hash == definition_hash_ && !stored_->body_hash.empty();
}

bool ConditionalFetch::Eligible(const config::SourceConfig& source) {
  if (source.extraction.pagination.enabled()) return false;
  return !config::ExpandUrlRange(source.url, 2).has_value();  // one URL, no range
}

std::string ConditionalFetch::BodyHash(std::string_view body) { return Hex128(body); }

std::string ConditionalFetch::DefinitionHash(const config::SourceConfig& source) {
  // The definition is canonical text (config::DefinitionText): the same bytes as the dump of
  // the tree it once was, so stored hashes stay valid.
  return Hex128(source.definition);
}

void ConditionalFetch::AddHeaders(fetchers::FetchRequest& request) {
  if (!usable_ || request.method != "GET") return;
  if (HasHeader(request.headers, "if-none-match") ||
      HasHeader(request.headers, "if-modified-since")) {
    return;  // the source's own conditions win
  }
  if (!stored_->etag.empty()) {
    request.headers.emplace_back("If-None-Match", stored_->etag);
    sent_conditional_ = true;
  }
  if (!stored_->last_modified.empty()) {
    request.headers.emplace_back("If-Modified-Since", stored_->last_modified);
    sent_conditional_ = true;
  }
}

ConditionalFetch::Verdict ConditionalFetch::Judge(const fetchers::FetchResult& result) {
  if (result.status == 304 && sent_conditional_) return Verdict::kNotModified;
  body_hash_ = BodyHash(result.body);
  if (usable_ && body_hash_ == stored_->body_hash) return Verdict::kUnchanged;
  return Verdict::kChanged;
}

std::optional<storage::FetchValidators> ConditionalFetch::Next(const fetchers::FetchResult& result,
                                                               Verdict verdict) const {
  if (!eligible_) return std::nullopt;
  storage::FetchValidators next;
  if (verdict != Verdict::kChanged && stored_) next = *stored_;
  next.source_id = source_id_;
  next.url = url_;
  next.definition_hash = definition_hash_;
  next.updated = std::chrono::system_clock::now();
  auto etag = ResponseHeader(result, "etag");
  auto last_modified = ResponseHeader(result, "last-modified");
  if (verdict == Verdict::kNotModified) {
    // A 304 may refresh the validators; without them the stored ones still hold.
    if (etag) next.etag = *etag;
    if (last_modified) next.last_modified = *last_modified;
    return next;
  }
  next.etag = etag.value_or("");
  next.last_modified = last_modified.value_or("");
  next.body_hash = body_hash_.empty() ? BodyHash(result.body) : body_hash_;
  next.body_bytes = result.bytes;
  next.wire_bytes = result.wire_bytes;
  return next;
}

const char* ConditionalFetch::OutcomeName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kChanged:
      return "extracted";
    case Verdict::kNotModified:
      return "not_modified";
    case Verdict::kUnchanged:
      return "unchanged";
  }
  return "extracted";
}

}  // namespace tributary::service
