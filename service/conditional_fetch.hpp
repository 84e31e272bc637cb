#pragma once
// Conditional requests for one source run: the validators of the last extracted response
// (ETag, Last-Modified, body hash; stored per source and URL in SQLite) become If-None-Match /
// If-Modified-Since on the next request, and the answer is judged: a 304 or a 200 whose body
// hash equals the stored one skips extraction and keeps the stored snapshot; anything else is
// extracted and, once stored, its validators replace the old ones (in the fetch log's
// transaction, see storage::FetchLog::validators).
// Validators apply only to a single-page source (its whole snapshot is one response) and only
// under the source definition that extracted them: a changed definition re-extracts.
// Thread safety: none; an instance belongs to one run on the pipeline thread.

#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "fetchers/fetcher.hpp"
#include "service/storage/store.hpp"

namespace tributary::service {

class ConditionalFetch {
 public:
  enum class Verdict {
    kChanged,      // extract the body
    kNotModified,  // 304 to our conditional request
    kUnchanged,    // 200 with the body hash of the stored snapshot
  };

  // `stored`: the validators the store holds for (source, url), if any.
  ConditionalFetch(const config::SourceConfig& source, const std::string& url,
                   std::optional<storage::FetchValidators> stored);

  // Whether conditional requests apply to the source at all (one page, no URL range).
  static bool Eligible(const config::SourceConfig& source);
  // Hex XXH3-128 digests.
  static std::string BodyHash(std::string_view body);
  static std::string DefinitionHash(const config::SourceConfig& source);

  // Adds If-None-Match / If-Modified-Since to a GET when usable validators are stored and the
  // source does not set those headers itself.
  void AddHeaders(fetchers::FetchRequest& request);
  bool sent_conditional() const { return sent_conditional_; }

  // Judges a successful response (no error). A 304 that answers no conditional request of
  // ours is not judged here: the caller treats it as an error.
  Verdict Judge(const fetchers::FetchResult& result);

  // What a 304 saved: the wire size of the body it stands for.
  uint64_t BytesSaved() const { return usable_ ? stored_->wire_bytes : 0; }

  // The validators to store with this run's fetch log after `result` was judged `verdict`
  // (nullopt when the source is not eligible). A 304 keeps the stored body hash and takes any
  // new ETag / Last-Modified it carries.
  std::optional<storage::FetchValidators> Next(const fetchers::FetchResult& result,
                                               Verdict verdict) const;

  static const char* OutcomeName(Verdict verdict);

 private:
  const bool eligible_;
  const std::string source_id_;
  const std::string url_;
  const std::string definition_hash_;
  std::optional<storage::FetchValidators> stored_;
  bool usable_ = false;  // stored_ matches the URL and the definition
  bool sent_conditional_ = false;
  std::string body_hash_;  // of the response Judge saw
};

}  // namespace tributary::service
