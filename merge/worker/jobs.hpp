#pragma once
// The jobs a worker process runs, and the JSON messages that describe them. The daemon builds
// requests with the Make* functions and reads replies with the Parse* functions, so both sides
// of the protocol live in one place.
//
//   extract: meta {"job":"extract","source":<definition>,"content_type":…,"final_url":…},
//            body = the document → {"ok":true,"format":…,"charset":…,"next_url":…,
//            "record_count":N,"stats":{…}}, body = the records: for each, its key as a JSON string
//            and its fields' canonical JSON text (common/packed_text.hpp). The records travel as
//            text so that the pool's thread reads only the small meta; ParseExtractReply
//            validates them and keeps them as text (Record::fields_text, `fields` discarded):
//            the daemon compares and stores that text, and builds a record's tree only when it
//            changed or is shown (FieldsTreeOf).
//   merge:   meta {"job":"merge","view":<definition>,"inputs":[{"source":…,"fetched_at":ms,
//            "records":[…]}]} → {"ok":true,"records":[…merged…],"stats":{…}}
//   merge_keys: meta {"job":"merge_keys","view":<definition>}, body = the keys to merge →
//            {"ok":true,"results":[…]} (merge/combine/merge_job.hpp)
//   Failures: {"ok":false,"error":{"class":"source_broken","message":…}}

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"
#include "merge/extract/extractor.hpp"
#include "merge/record.hpp"
#include "merge/worker/worker_loop.hpp"

namespace tributary::merge::worker {

// Runs one job inside the worker process.
JobReply HandleJob(const nlohmann::json& meta, std::string_view body);

// The request's JSON text (a pool::Job's meta): the source's definition as the config keeps it
// (text), with the fetched document's content type and final URL.
std::string MakeExtractRequest(const config::SourceConfig& source, std::string_view content_type,
                               std::string_view final_url);
nlohmann::json MakeMergeRequest(const config::ViewConfig& view,
                                const std::vector<SourceSnapshot>& inputs);

struct ExtractReply {
  std::string format;
  std::string next_url;  // the next page (pagination), "" when none
  std::vector<Record> records;
  nlohmann::json stats;
};
// An extract reply's body: each record's key as a JSON string and its fields' canonical text.
std::string PackRecords(const std::vector<Record>& records);
// `records` is the reply's body (PackRecords). A body that does not hold the meta's
// record_count records, each a key string and an object's canonical text, is a permanent
// error ("worker protocol: ...").
Result<ExtractReply> ParseExtractReply(nlohmann::json&& reply, std::string_view records);
Result<std::vector<MergedRecord>> ParseMergeReply(const nlohmann::json& reply);
// The job error of a reply with "ok": false, else nullopt.
std::optional<Error> JobError(const nlohmann::json& reply);

}  // namespace tributary::merge::worker
