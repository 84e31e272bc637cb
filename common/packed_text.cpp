#include "common/packed_text.hpp"

#include <charconv>
#include <cstring>

namespace tributary {

void PackedWriter::Gather(const char* bytes, size_t size) {
  if (size == 0) return;  // (an empty string_view may hold no pointer at all: not for memcpy)
  if (pending_size_ + size > sizeof pending_) Flush();
  std::memcpy(pending_ + pending_size_, bytes, size);
  pending_size_ += size;
}

void PackedWriter::Text(std::string_view text) {
  char header[24];
  char* end = std::to_chars(header, header + sizeof header - 1, text.size()).ptr;
  *end++ = ':';
  Gather(header, static_cast<size_t>(end - header));
  Raw(text);
}

void PackedWriter::Raw(std::string_view bytes) {
  if (bytes.size() <= kShortText) {
    Gather(bytes.data(), bytes.size());
    return;
  }
  Flush();
  out_.append(bytes);
}

void PackedWriter::Int(int64_t value) {
  // "<length>:<digits>": the digits go 3 places in (an int64 has at most 20 characters, so
  // its length at most 2), the length in front of them.
  char buffer[32];
  char* digits = buffer + 3;
  char* end = std::to_chars(digits, buffer + sizeof buffer, value).ptr;
  const auto length = static_cast<size_t>(end - digits);
  char* begin = digits - 1;
  *begin = ':';
  if (length < 10) {
    *--begin = static_cast<char>('0' + length);
  } else {
    *--begin = static_cast<char>('0' + length % 10);
    *--begin = static_cast<char>('0' + length / 10);
  }
  Gather(begin, static_cast<size_t>(end - begin));
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
