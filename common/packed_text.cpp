#include "common/packed_text.hpp"

#include <charconv>

namespace tributary {

void PackedWriter::Text(std::string_view text) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, text.size()).ptr;
  out_.append(digits, end);
  out_.push_back(':');
  out_.append(text);
}

void PackedWriter::Int(int64_t value) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  Text(std::string_view(digits, static_cast<size_t>(end - digits)));
}

bool PackedReader::Text(std::string_view& text) {
  if (failed_) return false;
  size_t length = 0;
  const char* begin = in_.data();
  const char* end = begin + in_.size();
  auto [colon, ec] = std::from_chars(begin, end, length);
  if (ec != std::errc() || colon == end || *colon != ':' ||
      length > static_cast<size_t>(end - colon - 1)) {
    failed_ = true;
    return false;
  }
  text = std::string_view(colon + 1, length);
  in_.remove_prefix(static_cast<size_t>(colon + 1 - begin) + length);
  return true;
}

bool PackedReader::Int(int64_t& value) {
  std::string_view text;
  if (!Text(text)) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    failed_ = true;
    return false;
  }
  return true;
}

}  // namespace tributary
