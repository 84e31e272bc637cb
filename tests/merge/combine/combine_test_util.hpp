#pragma once
// Helpers for the combine tests: views built from JSON text through the real config parser,
// records from JSON, and the real-world corpus (countries, currencies) as source snapshots.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "merge/record.hpp"

namespace tributary::merge::combine::test_util {

// A view from its JSON definition (as in a configuration file; "key" is required here since
// there are no source definitions to take the default from).
inline config::ViewConfig View(const std::string& json_text) {
  std::vector<config::ConfigError> errors;
  auto view = config::ParseView(nlohmann::json::parse(json_text), "view", errors);
  std::string messages;
  for (const auto& e : errors) messages += e.ToString() + "\n";
  EXPECT_TRUE(view.has_value()) << messages;
  return view.value_or(config::ViewConfig{});
}

inline SourceSnapshot Snapshot(const std::string& id, const std::string& records_json,
                               SystemTime fetched_at = FromUnixMillis(1'000'000)) {
  SourceSnapshot s{id, fetched_at, {}};
  for (const auto& r : nlohmann::json::parse(records_json)) {
    s.records.push_back(Record{r.at("key").get<std::string>(), r.at("fields")});
  }
  return s;
}

// $TRIBUTARY_CORPUS, else $TRIBUTARY_SOURCE_DIR/../shared/corpus; empty when neither exists.
inline std::filesystem::path CorpusDir() {
  if (const char* corpus = std::getenv("TRIBUTARY_CORPUS"); corpus != nullptr && *corpus) {
    return corpus;
  }
  if (const char* source = std::getenv("TRIBUTARY_SOURCE_DIR"); source != nullptr && *source) {
    auto dir = std::filesystem::path(source) / ".." / "shared" / "corpus";
    if (std::filesystem::is_directory(dir)) return dir;
  }
  return {};
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// RFC 4180 CSV (quoted fields, "" escapes, CRLF or LF) into rows of cells.
inline std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(cell));
      cell.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(std::move(cell));
      cell.clear();
      rows.push_back(std::move(row));
      row.clear();
    } else {
      cell.push_back(c);
    }
  }
  if (!cell.empty() || !row.empty()) {
    row.push_back(std::move(cell));
    rows.push_back(std::move(row));
  }
  return rows;
}

// Records of a CSV file with a header row: `columns` maps our field name -> CSV column; the
// record key is the `key_field` value.
inline std::vector<Record> CsvRecords(const std::filesystem::path& path,
                                      const std::map<std::string, std::string>& columns,
                                      const std::string& key_field) {
  const auto rows = ParseCsv(ReadFile(path));
  std::vector<Record> out;
  if (rows.empty()) return out;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < rows[0].size(); ++i) index[rows[0][i]] = i;
  for (size_t r = 1; r < rows.size(); ++r) {
    Record rec;
    for (const auto& [field, column] : columns) {
      auto it = index.find(column);
      if (it == index.end() || it->second >= rows[r].size()) continue;
      rec.fields[field] = rows[r][it->second];
    }
    rec.key = rec.fields.value(key_field, "");
    out.push_back(std::move(rec));
  }
  return out;
}

// Records of a JSON array (or of an object's values): `pointers` maps field name -> JSON Pointer
// into each item; "" in `key_pointer` means the object member name (for objects keyed by id).
inline std::vector<Record> JsonRecords(const std::filesystem::path& path,
                                       const std::map<std::string, std::string>& pointers,
                                       const std::string& key_field) {
  const auto doc = nlohmann::json::parse(ReadFile(path));
  std::vector<Record> out;
  auto add = [&](const std::string& member, const nlohmann::json& item) {
    Record rec;
    for (const auto& [field, pointer] : pointers) {
      if (pointer.empty()) {
        rec.fields[field] = member;
        continue;
      }
      const nlohmann::json::json_pointer ptr(pointer);
      if (item.contains(ptr)) rec.fields[field] = item.at(ptr);
    }
    const auto& k = rec.fields.value(key_field, nlohmann::json());
    rec.key = k.is_string() ? k.get<std::string>() : k.dump();
    out.push_back(std::move(rec));
  };
  if (doc.is_array()) {
    for (const auto& item : doc) add("", item);
  } else {
    for (const auto& [member, item] : doc.items()) add(member, item);
  }
  return out;
}

}  // namespace tributary::merge::combine::test_util
