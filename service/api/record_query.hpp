#pragma once
// Querying a set of records as the API serves them: filters (several, ANDed), sort by any field,
// keyset cursor pagination and field projection. Records are JSON objects
// {"key", "fields", ["sources", "provenance", "conflicts"]}; a query names fields by their
// name in "fields" (dots reach into objects: "author.name"), or one of the pseudo-fields
// "key", "sources" (the record's source ids) and "has_conflict" (true when "conflicts" is
// non-empty).
//
// Filter semantics: `field<op>value` with op one of = != < <= > >= ~ (substring) and
// `field in a,b,"c,d"`. The value compares as a number when the record's value is a number, as
// true/false for booleans, as text otherwise (so ISO dates compare in time order). A missing or
// null field matches only `=null` and `!=<anything but null>`. On a list value (sources, multiple
// fields) a comparison holds when it holds for any element; `!=` when it holds for all.
//
// Sorting: by the given fields, then by key, so the order is total and a cursor (the sort values
// and key of the last record of a page) resumes exactly after it even when records are added or
// removed between pages. Missing values sort last, whatever the direction.
// Thread safety: pure functions; a parsed RecordQuery is immutable.

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tributary::service::api {

struct FieldPath {
  std::string name;                // as written: "author.name"
  std::vector<std::string> parts;  // {"author", "name"}
  enum class Kind { kField, kKey, kSources, kHasConflict } kind = Kind::kField;
};

struct Filter {
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kContains, kIn };
  FieldPath field;
  Op op = Op::kEq;
  std::vector<std::string> values;  // one, or the list of `in`
  std::string text;                 // as written, for messages
};

struct SortKey {
  FieldPath field;
  bool descending = false;
};

struct RecordQuery {
  std::vector<Filter> filters;
  std::vector<SortKey> sort;
  std::optional<std::vector<std::string>> fields;  // projection; nullopt: every field
  size_t limit = 100;
  // Decoded cursor: the sort values then the key of the last record already returned.
  std::optional<nlohmann::json> after;
  std::string sort_text;  // canonical "-price,title" (the cursor is bound to it)
};

// A parameter problem: which parameter and what was expected, for a 400 reply.
struct QueryError {
  std::string parameter;
  std::string message;
};

struct QueryLimits {
  size_t default_limit = 100;
  size_t max_limit = 1000;
};

// Parses filter (repeatable), sort, fields, limit and cursor. `known_fields` are the field names
// the records can have; when non-empty, names outside it (and the pseudo-fields) are rejected
// with a did-you-mean.
std::optional<QueryError> ParseRecordQuery(const std::vector<std::string>& filters,
                                           const std::string* sort, const std::string* fields,
                                           const std::string* limit, const std::string* cursor,
                                           const std::set<std::string>& known_fields,
                                           const QueryLimits& limits, RecordQuery& out);

struct QueryPage {
  std::vector<const nlohmann::json*> records;  // point into the input
  std::optional<std::string> next_cursor;      // set when more records follow
  size_t matched = 0;                          // records passing the filters (all pages)
};

// True when the query keeps every record in key order (no filter, no sort): a page is then a
// range of keys, which a store can read without reading the other records.
bool IsKeyRange(const RecordQuery& query);
// The cursor that resumes after the record with these sort values and key.
std::string EncodeCursor(const RecordQuery& query, const std::vector<nlohmann::json>& sort_values,
                         const std::string& key);

// Filters, sorts and pages `records` (which must outlive the page).
QueryPage RunRecordQuery(const RecordQuery& query, const std::vector<nlohmann::json>& records);

// The record narrowed to the query's projection (fields, provenance and conflicts of the
// projected fields only); the record itself when there is no projection.
nlohmann::json Project(const RecordQuery& query, const nlohmann::json& record);

// The value a field path names in a record, or nullptr when missing.
const nlohmann::json* Lookup(const FieldPath& path, const nlohmann::json& record,
                             nlohmann::json& scratch);

bool Matches(const Filter& filter, const nlohmann::json& record);

}  // namespace tributary::service::api
