#pragma once
// Finding and reading the shared real-world corpus (../shared/corpus, see its INVENTORY.md)
// from extraction tests. Tests GTEST_SKIP() when it is absent.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace tributary::merge::extract::testing {

// $TRIBUTARY_CORPUS, else $TRIBUTARY_SOURCE_DIR/../shared/corpus; empty when neither is set.
inline std::filesystem::path CorpusDir() {
  if (const char* corpus = std::getenv("TRIBUTARY_CORPUS"); corpus != nullptr && *corpus) {
    return corpus;
  }
  if (const char* source = std::getenv("TRIBUTARY_SOURCE_DIR"); source != nullptr && *source) {
    return std::filesystem::path(source) / ".." / "shared" / "corpus";
  }
  return {};
}

// The corpus directory `sub` when it exists, else empty.
inline std::filesystem::path CorpusPath(const std::string& sub) {
  const auto dir = CorpusDir();
  if (dir.empty() || !std::filesystem::exists(dir / sub)) return {};
  return dir / sub;
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace tributary::merge::extract::testing
