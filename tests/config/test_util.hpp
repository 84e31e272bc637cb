#pragma once
// Helpers shared by the configuration tests: a fake environment and error listings.

#include <map>
#include <string>
#include <vector>

#include "config/loader.hpp"

namespace tributary::config::test_util {

inline EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    if (auto it = vars.find(name); it != vars.end()) return it->second;
    return std::nullopt;
  };
}

inline std::vector<std::string> Messages(const std::vector<ConfigError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.ToString());
  return out;
}

inline std::vector<std::string> Messages(const LoadResult& result) {
  return Messages(result.errors);
}

inline LoadResult Parse(const std::string& text, std::map<std::string, std::string> env = {}) {
  return ParseConfig(text, FakeEnv(std::move(env)));
}

// A configuration with one valid source "s" (fields title, price; key title) plus `extra`
// top-level members, e.g. R"("fetch": {"io_threads": 0})".
inline std::string WithSource(const std::string& extra) {
  std::string text = R"({"sources": [{"id": "s", "url": "http://example.com/", "key": "title",
      "fields": {"title": "h3", "price": ".price"}}])";
  if (!extra.empty()) text += ", " + extra;
  return text + "}";
}

}  // namespace tributary::config::test_util
