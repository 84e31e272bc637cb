#pragma once
// Packed sequences for tests (common/packed_text.hpp): texts and integers in order, as
// PackedWriter writes them, to spell out bodies and replies, well formed or not.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/packed_text.hpp"

namespace tributary::test_util {

// A text (std::string) or an integer (int64_t; write int64_t{0}, as a plain 0 could be a null
// pointer for the text).
using PackedPiece = std::variant<std::string, int64_t>;

inline std::string Packed(const std::vector<PackedPiece>& pieces) {
  std::string out;
  PackedWriter writer(out);
  for (const auto& piece : pieces) {
    if (const auto* text = std::get_if<std::string>(&piece)) {
      writer.Text(*text);
    } else {
      writer.Int(std::get<int64_t>(piece));
    }
  }
  writer.Flush();
  return out;
}

}  // namespace tributary::test_util
