#include "common/packed_text.hpp"

#include <cstring>

namespace tributary {

void PackedWriter::Gather(const char* bytes, size_t size) {
  if (size == 0) return;  // (an empty string_view may hold no pointer at all: not for memcpy)
  if (pending_size_ + size > sizeof pending_) Flush();
  std::memcpy(pending_ + pending_size_, bytes, size);
  pending_size_ += size;
}

// Lengths and integers byte by byte, little-endian whatever the machine: the reader takes them
// the same way (compilers make each loop one load or store on a little-endian machine).
void PackedWriter::Text(std::string_view text) {
  // (A frame is at most a few hundred MiB: a text's length fits 32 bits.)
  const auto length = static_cast<uint32_t>(text.size());
  char header[4];
  for (int i = 0; i < 4; ++i) header[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  Gather(header, sizeof header);
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
  const auto v = static_cast<uint64_t>(value);
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  Gather(bytes, sizeof bytes);
}

bool PackedReader::Text(std::string_view& text) {
  if (failed_) return false;
  if (in_.size() < 4) {
    failed_ = true;
    return false;
  }
  uint32_t length = 0;
  for (int i = 3; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(in_[i]);
  if (length > in_.size() - 4) {
    failed_ = true;
    return false;
  }
  text = in_.substr(4, length);
  in_.remove_prefix(4 + static_cast<size_t>(length));
  return true;
}

bool PackedReader::Int(int64_t& value) {
  if (failed_) return false;
  if (in_.size() < 8) {
    failed_ = true;
    return false;
  }
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in_[i]);
  value = static_cast<int64_t>(v);
  in_.remove_prefix(8);
  return true;
}

}  // namespace tributary
