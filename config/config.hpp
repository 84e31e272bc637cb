#pragma once
// The configuration model: immutable structs built by the loader (config/loader.hpp) from one
// JSON file. Everything downstream reads these; nothing writes them after loading.
// Thread safety: a loaded Config is immutable and may be shared freely (const).

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/api_config.hpp"
#include "config/extraction.hpp"
#include "config/fetch_config.hpp"
#include "config/view_options.hpp"

namespace tributary::config {

using Duration = std::chrono::milliseconds;

enum class Format { kAuto, kHtml, kXml, kFeed, kJson, kCsv, kText };
enum class ValueType { kString, kNumber, kInteger, kBoolean, kDate, kUrl };

const char* FormatName(Format f);
const char* ValueTypeName(ValueType t);

// One extracted field: a selector in the source's language (CSS/XPath for html, JSON Pointer for
// json, ...) followed by a small pipeline: trim, regex capture, type conversion, default.
struct FieldSpec {
  std::string name;
  std::string select;
  ValueType type = ValueType::kString;
  bool required = false;  // a record without it is dropped (and counted)
  bool multiple = false;  // a list of every match instead of the first
  bool trim = true;       // trim and collapse surrounding whitespace of text values
  std::string regex;      // when set, the first capture group (or whole match) is kept
  std::optional<nlohmann::json> default_value;  // used when nothing matched
  FieldTransforms transforms;                   // extraction.hpp

  friend bool operator==(const FieldSpec&, const FieldSpec&) = default;
};

struct SourceConfig {
  std::string id;
  std::string url;
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Duration every{std::chrono::minutes(15)};
  std::optional<Duration> timeout;  // overrides fetch.timeout
  Format format = Format::kAuto;
  // Record selector: CSS/XPath for html; a JSON Pointer to an array (or object) for json.
  // Empty means the whole document is the record list (json array) or one record.
  std::string records;
  std::vector<std::string> key;   // field names whose values form the record key
  std::vector<FieldSpec> fields;  // in configuration order
  SourceExtraction extraction;    // extraction.hpp
  SourceFetch fetch;              // fetch_config.hpp
  // The source object as loaded (after ${ENV} substitution), as canonical JSON text (keys in
  // order; DefinitionText). Sent to worker processes, which parse it again with ParseSource, so
  // both sides share one definition. The loader adds "field_order" (the field names in file
  // order), since nlohmann::json sorts object keys. Text, not a tree: one allocation per source
  // where the tree took dozens, for thousands of sources. It holds substituted secrets
  // (headers): never log it.
  std::string definition;

  friend bool operator==(const SourceConfig&, const SourceConfig&) = default;
};

// The canonical text of a source definition (SourceConfig::definition): compact, keys in order
// (nlohmann::json objects are sorted), invalid UTF-8 replaced.
std::string DefinitionText(const nlohmann::json& definition);

// A source as a view sees it; `fields` renames: view field name -> source field name.
struct ViewSourceRef {
  std::string id;
  std::map<std::string, std::string> fields;

  friend bool operator==(const ViewSourceRef&, const ViewSourceRef&) = default;
};

struct ViewConfig {
  std::string id;
  std::vector<ViewSourceRef> sources;  // in priority order
  std::vector<std::string> key;        // view field names forming the key
  // Merge options (view_options.hpp): key normalisers (`normalize` for every key field, then
  // `field_normalize` per field), the join, and per-field rules (`defaults` for the others).
  std::vector<KeyNormalizer> normalize;
  std::map<std::string, std::vector<KeyNormalizer>> field_normalize;
  JoinKind join = JoinKind::kOuter;
  FieldRule defaults;
  std::map<std::string, FieldRule, std::less<>> field_rules;  // transparent: found by views
  // As loaded, for worker processes; when the file omits "key", the loader writes the default
  // (the first source's key, renamed) into it so workers see the same key.
  nlohmann::json definition;

  friend bool operator==(const ViewConfig&, const ViewConfig&) = default;
};

struct FetchConfig {
  int io_threads = 2;
  std::string user_agent = "tributary/0.1";
  Duration timeout{std::chrono::seconds(30)};
  Duration connect_timeout{std::chrono::seconds(10)};
  uint64_t max_body = 16ull << 20;
  bool allow_private_networks = false;
  FetchPolicy policy;  // fetch_config.hpp: groups, retries, robots, limits, hints

  friend bool operator==(const FetchConfig&, const FetchConfig&) = default;
};

struct WorkersConfig {
  int processes = 0;  // 0: one per core
  Duration job_timeout{std::chrono::seconds(10)};
  // Address-space limit of each worker process (RLIMIT_AS; not applied under ASan).
  uint64_t max_memory = 1ull << 30;

  friend bool operator==(const WorkersConfig&, const WorkersConfig&) = default;
};

struct LogConfig {
  std::string level = "info";
  bool json = false;

  friend bool operator==(const LogConfig&, const LogConfig&) = default;
};

struct ListenAddress {
  std::string host = "127.0.0.1";  // IPv6 without brackets: "::1"
  uint16_t port = 8080;            // 0: an ephemeral port (the daemon prints the one it got)

  friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

struct Config {
  ListenAddress listen;
  std::string data_dir = "./data";
  FetchConfig fetch;
  WorkersConfig workers;
  LogConfig log;
  std::vector<SourceConfig> sources;
  std::vector<ViewConfig> views;
  std::map<std::string, GroupLimits> groups;  // named politeness groups (fetch_config.hpp)
  HistoryConfig history;                // view_options.hpp
  ApiConfig api;                        // api_config.hpp
  std::vector<WebhookConfig> webhooks;  // api_config.hpp

  const SourceConfig* FindSource(const std::string& id) const;
  const ViewConfig* FindView(const std::string& id) const;

  friend bool operator==(const Config&, const Config&) = default;
};

}  // namespace tributary::config
