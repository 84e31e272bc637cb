#include "merge/extract/row_records.hpp"

#include <re2/re2.h>

#include <map>
#include <set>

namespace tributary::merge::extract {

Rows CsvRows(std::vector<CsvRow> table, const config::CsvOptions& options) {
  Rows out;
  size_t first_data = 0;
  CsvRow header;
  if (options.header && !table.empty()) {
    header = table[0];
    first_data = 1;
  }
  std::vector<std::string> names = options.columns.empty() ? header : options.columns;
  size_t width = names.size();
  for (size_t r = first_data; r < table.size(); ++r) width = std::max(width, table[r].size());
  std::set<std::string> used;
  for (size_t c = 0; c < width; ++c) {
    std::string name = c < names.size() ? names[c] : std::string();
    if (name.empty()) name = "column_" + std::to_string(c + 1);
    if (!used.insert(name).second) {
      int n = 2;
      while (!used.insert(name + "_" + std::to_string(n)).second) ++n;
      name += "_" + std::to_string(n);
    }
    out.columns.push_back(std::move(name));
  }
  for (size_t r = first_data; r < table.size(); ++r) {
    if (!header.empty() && table[r] == header) continue;
    nlohmann::json row = nlohmann::json::object();
    for (size_t c = 0; c < table[r].size(); ++c) row[out.columns[c]] = std::move(table[r][c]);
    out.rows.push_back(std::move(row));
  }
  return out;
}

Result<Rows> TextRows(std::string_view utf8, const std::string& records_regex,
                      const config::ExtractLimits& limits) {
  Rows out;
  auto check = [&]() -> Status {
    if (out.rows.size() <= limits.max_records) return Status::Ok();
    return Error::SourceBroken("the document has more than " + std::to_string(limits.max_records) +
                               " records (bounds.max_records)");
  };
  if (records_regex.empty()) {
    out.columns = {"line"};
    size_t start = 0;
    while (start <= utf8.size()) {
      size_t end = utf8.find('\n', start);
      if (end == std::string_view::npos) end = utf8.size();
      std::string_view line = utf8.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t") != std::string_view::npos) {
        out.rows.push_back({{"line", std::string(line)}});
        if (Status s = check(); !s) return s.error();
      }
      start = end + 1;
    }
    return out;
  }
  re2::RE2::Options options;
  options.set_log_errors(false);
  const re2::RE2 re(records_regex, options);
  if (!re.ok()) {
    return Error::SourceBroken("invalid regex \"" + records_regex + "\": " + re.error());
  }
  const int groups = re.NumberOfCapturingGroups();
  std::map<int, std::string> named(re.CapturingGroupNames().begin(),
                                   re.CapturingGroupNames().end());
  for (const auto& [index, name] : named) out.columns.push_back(name);
  out.columns.push_back("match");
  std::vector<re2::StringPiece> match(static_cast<size_t>(groups) + 1);
  size_t pos = 0;
  while (pos <= utf8.size()) {
    if (!re.Match(utf8, pos, utf8.size(), re2::RE2::UNANCHORED, match.data(), groups + 1)) break;
    nlohmann::json row = {{"match", std::string(match[0].data(), match[0].size())}};
    for (const auto& [index, name] : named) {
      const auto& group = match[static_cast<size_t>(index)];
      if (group.data() != nullptr) row[name] = std::string(group.data(), group.size());
    }
    out.rows.push_back(std::move(row));
    if (Status s = check(); !s) return s.error();
    const size_t end = static_cast<size_t>(match[0].data() - utf8.data()) + match[0].size();
    pos = end > pos ? end : pos + 1;  // an empty match moves on by one byte
  }
  return out;
}

}  // namespace tributary::merge::extract
