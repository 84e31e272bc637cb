#pragma once
// Durable state: the last snapshot of every source, every view's merged records, and the fetch
// log. Narrow on purpose so that a PostgreSQL backend can follow the SQLite one.
// Thread safety: writes (Commit*, Replace*) are serialised by the caller on one writer thread;
// reads may run concurrently from any thread (each on its own connection).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/time.hpp"
#include "merge/record.hpp"

namespace tributary::storage {

// What the last full response to a source's URL said about itself (issue 3): the validators
// sent back as If-None-Match / If-Modified-Since, and the hash of the body, so that a 304 or an
// identical body skips extraction. Valid only for the same URL and source definition.
struct FetchValidators {
  std::string source_id;
  std::string url;
  std::string etag;             // "" when the server sent none
  std::string last_modified;    // ditto
  std::string body_hash;        // hex XXH3-128 of the decoded body that was extracted
  uint64_t body_bytes = 0;      // that body's size, decoded
  uint64_t wire_bytes = 0;      // ... and on the wire (what a 304 saves)
  std::string definition_hash;  // of the source definition that extracted it
  SystemTime updated;
};

// One fetch attempt as the API reports it.
struct FetchLog {
  std::string source_id;
  SystemTime started;
  long http_status = 0;
  int64_t duration_ms = 0;
  uint64_t bytes = 0;
  std::optional<uint64_t> record_count;  // set when extraction ran
  std::string error;                     // empty on success
  std::string error_class;               // "retryable", "permanent", "source_broken" or empty
  // How the response was used: "extracted", "not_modified" (a 304), "unchanged" (the same body
  // hash as the stored one): both skip extraction and keep the stored snapshot. "" on failure.
  std::string outcome;
  uint64_t bytes_saved = 0;  // body bytes a 304 spared on the wire
  // Stored in the same transaction as the log when the log has no error: what the next fetch
  // of the source sends and compares with (conditional requests).
  std::optional<FetchValidators> validators;
};

// One change of the change history (issue 5): a record of a view or a source added, removed or
// changed, with field-level before/after. Sequence numbers are global, gap-free and increasing.
struct Change {
  int64_t seq = 0;
  SystemTime time;
  std::string view_id;    // set for a view's record
  std::string source_id;  // set for a source's record
  std::string key;
  std::string op;                   // "added", "removed" or "changed"
  nlohmann::json before = nullptr;  // the fields before (null when added)
  nlohmann::json after = nullptr;   // the fields after (null when removed)
  // Field-level: {"field": {"before": …, "after": …}} for each field that differs.
  nlohmann::json fields = nlohmann::json::object();
};

// A change with its JSON already canonical text, as the store writes it. A source's change as
// SourceRecords::Compare renders it (the stored records' own texts, the field diff written from
// them); a view's, with its merged record, as the merge job does.
struct ChangeText {
  std::string key;
  std::string op;               // "added", "removed" or "changed"
  std::string before = "null";  // the fields before
  std::string after = "null";   // the fields after
  // Field-level diff, as Change::fields; "" for an added record: every field with a value,
  // after it and null before, which reading the change spells out (the merge job leaves it
  // out: a full merge adds every key, and the diff repeated each record's fields).
  std::string fields = "{}";
};

// A change of a view's record as the merge job renders it: its JSON already text, written as is.
struct ViewChange : ChangeText {
  std::string record;  // the whole merged record after the change ("" when removed)
};

// Which changes a reader wants: of these views or these sources (both empty: all). A change
// matches when its view is in `views` or its source is in `sources`.
struct ChangeFilter {
  std::vector<std::string> views;
  std::vector<std::string> sources;
};

struct ChangePage {
  std::vector<Change> changes;  // seq ascending
  // The highest sequence number examined (>= the last change's): the next read continues after
  // it, so changes the filter skipped are not scanned again.
  int64_t scanned_to = 0;
};

struct ViewPage {
  std::vector<merge::MergedRecord> records;
  std::string next_cursor;  // empty at the end
};

// --- Merge and history (issue 5) ---

// A source record as stored, with the time (of the fetch) at which its content last changed.
struct StoredRecord {
  std::string key;
  std::string fields_text = "{}";  // the canonical JSON text of the fields (CanonicalJson)
  SystemTime changed_at;
};

// Which sources have one view key (in the view's priority order) and, for a source with more
// than one record for it, those records' own keys (duplicates, reported by coverage).
struct ViewKey {
  std::string key;
  std::vector<std::string> sources;
  std::map<std::string, std::vector<std::string>> duplicates;
};

// A record of one of a view's sources that has no value for the view's key (after renaming and
// normalisers), so it is in none of the view's records; coverage reports it.
struct KeylessRecord {
  std::string source_id;
  std::string key;  // the record's own key in its source

  friend bool operator==(const KeylessRecord&, const KeylessRecord&) = default;
};

// The stored changes of one view in one commit. Change seq and time are assigned by the store.
struct ViewUpdate {
  std::string view_id;
  // A full recompute: the view's keys and keyless records are replaced by key_upserts and
  // keyless_upserts.
  bool replace_keys = false;
  std::optional<std::string> definition;  // the definition these records were merged with
  // Merged records stored again: with changes (see `changes`), or where only their provenance
  // moved to another source (no change row).
  std::vector<merge::MergedRecordText> upserts;
  std::vector<std::string> removed;  // keys no longer in the view
  std::vector<ViewKey> key_upserts;
  std::vector<std::string> key_removed;
  std::vector<KeylessRecord> keyless_upserts;
  std::vector<KeylessRecord> keyless_removed;
  std::vector<ViewChange> changes;
};

// A new snapshot of a source, as the difference to the stored one.
// With no upserts, removals or changes it records a fetch that confirmed the stored snapshot
// (a 304, or the same body): only the source's fetch time moves on.
struct SourceUpdate {
  std::string source_id;
  SystemTime fetched_at;      // the fetch that delivered (or confirmed) the snapshot
  uint64_t record_count = 0;  // records in the new snapshot
  std::vector<StoredRecord> upserts;
  std::vector<std::string> removed;
  std::vector<ChangeText> changes;
};

// Everything one fetch result changes: committed in one transaction, so a crash leaves either
// the old state or the new one.
struct IngestBatch {
  std::optional<FetchLog> fetch;
  std::optional<SourceUpdate> source;
  std::vector<ViewUpdate> views;
  SystemTime time;  // the changes' timestamp
};

struct CommitReceipt {
  int64_t first_seq = 0;  // 0 when the commit stored no change
  int64_t last_seq = 0;
};

struct CoverageRow {
  std::vector<std::string> sources;  // a combination of sources, in the view's order
  uint64_t keys = 0;                 // how many keys exactly these sources have
};

struct ViewCoverage {
  uint64_t keys = 0;
  std::vector<CoverageRow> combinations;  // most keys first
  std::vector<ViewKey> duplicates;        // keys some source has more than once (first 1000)
  // Per source with any: how many of its records have no view key, and the first of them
  // (ordered by source, then key; at most 1000 in all).
  std::map<std::string, uint64_t> without_key;
  std::vector<KeylessRecord> keyless;
};

// What pruning removed in one call.
struct PruneOutcome {
  uint64_t removed = 0;
  bool more = false;  // the batch limit was reached; call again
};

// A document quarantined for a source (issue 4): its extraction lost a worker on every attempt,
// so that exact document is not parsed again (under the same source definition).
struct QuarantineEntry {
  std::string source_id;
  std::string content_hash;     // of the document bytes (hex)
  std::string definition_hash;  // of the source definition the workers were given (hex)
  std::string reason;           // "worker killed by signal 11 (Segmentation fault) twice"
  std::string cause;            // "crash", "timeout", "oom" or "protocol"
  SystemTime since;
};

class Store {
 public:
  virtual ~Store() = default;

  // Records one fetch attempt; when `snapshot` is non-null the source's stored records are
  // replaced by it. One transaction: after a crash either all of it is stored or none.
  virtual Status CommitFetch(const FetchLog& fetch, const merge::SourceSnapshot* snapshot) = 0;

  // Replaces a view's merged records (one transaction).
  virtual Status ReplaceViewRecords(const std::string& view_id,
                                    const std::vector<merge::MergedRecord>& records) = 0;

  // The most recent fetch attempt of a source, if any.
  virtual Result<std::optional<FetchLog>> LastFetch(const std::string& source_id) = 0;
  // The latest fetch attempts of a source, newest first (at most `limit`).
  virtual Result<std::vector<FetchLog>> RecentFetches(const std::string& source_id,
                                                      size_t limit) = 0;

  // The stored snapshot of a source (empty records and epoch time when never fetched).
  virtual Result<merge::SourceSnapshot> LoadSnapshot(const std::string& source_id) = 0;

  // A page of a view's records ordered by key. `cursor` is empty for the first page, or the
  // next_cursor of the previous page (opaque to clients). Invalid cursors are kPermanent errors.
  // Provenance times are the latest fetch time of the source(s) each value came from, read with
  // the records (SourceFetchTimes): a stored record stays true while its sources' records are
  // unchanged, so a fetch that confirms them needs no rewrite of the view (the same holds for
  // ViewRecord and ViewConflicts; as-of reads give the times recorded with that version).
  virtual Result<ViewPage> ViewRecords(const std::string& view_id, const std::string& cursor,
                                       size_t limit) = 0;

  // Number of records stored for a view.
  virtual Result<uint64_t> CountViewRecords(const std::string& view_id) = 0;
  // Number of a view's records that have conflicts (an indexed count, for /metrics).
  virtual Result<uint64_t> CountViewConflicts(const std::string& view_id) = 0;

  // True when the store can currently write (for /readyz).
  virtual bool Writable() = 0;

  // A number that grows after every committed write (never before the commit is visible to
  // reads). A read made after observing generation G sees every write up to G, so a result
  // computed after reading G stays true while the generation is still G: readers cache on it.
  // nullopt: the store cannot tell (do not cache).
  virtual std::optional<uint64_t> CommittedGeneration() const { return std::nullopt; }

  // --- Change history (issue 5). The defaults describe a store without history. ---
  // Up to `limit` changes with seq > after_seq that match `filter`, in seq order.
  virtual Result<ChangePage> ChangesSince(int64_t after_seq, size_t limit,
                                          const ChangeFilter& filter) {
    (void)limit;
    (void)filter;
    ChangePage page;
    page.scanned_to = after_seq;
    return page;
  }
  // The sequence number of the latest committed change (0 when there is none).
  virtual Result<int64_t> LatestChangeSeq() { return int64_t{0}; }
  // Called on the writer thread after each commit that stored changes, with the latest seq.
  // Set once, before writes start.
  virtual void SetChangeListener(std::function<void(int64_t latest_seq)> listener) {
    (void)listener;
  }

  // --- Merge and history (issue 5) ---
  // Stores a fetch log, a source's new snapshot (as a difference), the views it changed and all
  // their change rows in one transaction; assigns gap-free sequence numbers to the changes.
  virtual Result<CommitReceipt> CommitIngest(const IngestBatch& batch) = 0;
  // A source's stored records with the time each last changed, ordered by key.
  virtual Result<std::vector<StoredRecord>> LoadSourceRecords(const std::string& source_id) = 0;
  // Each source's latest fetch time: of the last fetch that delivered its stored snapshot or
  // confirmed it unchanged (SourceUpdate::fetched_at). Sources never fetched are absent.
  // Reads of view records report these as provenance times (see ViewRecords).
  virtual Result<std::map<std::string, SystemTime>> SourceFetchTimes() = 0;
  // The definition the view's stored records were merged with (nullopt: never merged).
  virtual Result<std::optional<std::string>> ViewDefinition(const std::string& view_id) = 0;
  // Every key of a view with its sources (including keys the join leaves out), ordered by key.
  virtual Result<std::vector<ViewKey>> LoadViewKeys(const std::string& view_id) = 0;
  // One record of a view now, or as it was at `as_of` (from its history; nullopt when it did
  // not exist then or its history was pruned).
  virtual Result<std::optional<merge::MergedRecord>> ViewRecord(const std::string& view_id,
                                                                const std::string& key) = 0;
  virtual Result<std::optional<merge::MergedRecord>> ViewRecordAsOf(const std::string& view_id,
                                                                    const std::string& key,
                                                                    SystemTime as_of) = 0;
  // The changes of one record of a view (or of a source when `view_id` is empty), newest first.
  virtual Result<std::vector<Change>> RecordHistory(const std::string& view_id,
                                                    const std::string& source_id,
                                                    const std::string& key, size_t limit) = 0;
  virtual Result<ViewCoverage> Coverage(const std::string& view_id) = 0;
  // The keys that exactly `sources` have (ordered; after `after_key`, at most `limit`).
  virtual Result<std::vector<std::string>> CoverageKeys(const std::string& view_id,
                                                        const std::vector<std::string>& sources,
                                                        const std::string& after_key,
                                                        size_t limit) = 0;
  // A page of a view's records that have conflicts (cursor as in ViewRecords).
  virtual Result<ViewPage> ViewConflicts(const std::string& view_id, const std::string& cursor,
                                         size_t limit) = 0;
  // Removes history older than `older_than` and beyond the newest `max_versions` per record, at
  // most `batch` rows per call (short transactions, so ingestion never waits long). Changes
  // after `keep_after` are kept whatever their age (not yet delivered to a webhook).
  virtual Result<PruneOutcome> PruneHistory(std::optional<SystemTime> older_than,
                                            std::optional<int64_t> max_versions, size_t batch,
                                            std::optional<int64_t> keep_after) = 0;

  // --- Webhook delivery cursors (issue 6): the last change seq delivered to each webhook. ---
  // nullopt: the webhook has no cursor yet (never started); 0 is a cursor (nothing delivered
  // of a history that starts at seq 1).
  virtual Result<std::optional<int64_t>> WebhookCursor(const std::string& webhook_id) = 0;
  virtual Status SetWebhookCursor(const std::string& webhook_id, int64_t seq) = 0;

  // --- Paused sources (issue 6): POST /api/v1/sources/{id}/pause survives a restart. ---
  // The paused source ids with the time each was paused, ordered by id.
  virtual Result<std::vector<std::pair<std::string, SystemTime>>> PausedSources() = 0;
  virtual Status SetSourcePaused(const std::string& source_id, bool paused, SystemTime now) = 0;

  // --- Conditional requests (issue 3): see FetchValidators; stored with a FetchLog. ---
  // The validators of the source's last extracted response to `url` (nullopt: none).
  virtual Result<std::optional<FetchValidators>> LoadValidators(const std::string& source_id,
                                                                const std::string& url) = 0;

  // --- Quarantined documents (issue 4): see QuarantineEntry. ---
  // Inserts or replaces the entry of (source_id, content_hash, definition_hash).
  virtual Status SaveQuarantine(const QuarantineEntry& entry) = 0;
  virtual Status DeleteQuarantine(const QuarantineEntry& entry) = 0;
  // Every entry, oldest first.
  virtual Result<std::vector<QuarantineEntry>> LoadQuarantines() = 0;
};

// Opens (creating if needed) the SQLite store in `data_dir` (tributary.db, WAL mode) and runs
// pending schema migrations.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir);

}  // namespace tributary::storage
