#pragma once
// A flat sequence of texts and integers: a text is its length (4 bytes, little-endian) then its
// bytes, an integer 8 bytes (little-endian, two's complement). The merge_keys job sends its
// items and results this way, and an extract reply its records: the texts inside are JSON the
// two sides already hold, carried as they are, never parsed into a tree only to find where one
// ends. (Lengths and integers were decimal text, "<length>:<bytes>", until writing and reading
// the digits measured an eighth of a full merge: merge_bench, bench/README.md.)
// Thread safety: none (a writer or reader per thread).

#include <cstdint>
#include <string>
#include <string_view>

namespace tributary {

// Writes into `out`. Lengths, integers and short texts are gathered and appended together:
// a full merge writes tens of millions of pieces of a few bytes, and an append to a string per
// piece (a capacity check and a call to memmove each) was a fifth of the time spent building
// and writing them (perf, merge_bench). `out` holds everything written once Flush has run, or
// the writer is gone; it must not be written to in between but through the writer.
class PackedWriter {
 public:
  explicit PackedWriter(std::string& out) : out_(out) {}
  ~PackedWriter() { Flush(); }
  PackedWriter(const PackedWriter&) = delete;
  PackedWriter& operator=(const PackedWriter&) = delete;

  void Text(std::string_view text);
  void Int(int64_t value);
  // Bytes as they are (already packed pieces).
  void Raw(std::string_view bytes);
  // Appends what is gathered to the string.
  void Flush() {
    if (pending_size_ > 0) out_.append(pending_, pending_size_);
    pending_size_ = 0;
  }

 private:
  // Texts up to this long are gathered with the lengths and integers around them.
  static constexpr size_t kShortText = 32;
  void Gather(const char* bytes, size_t size);

  std::string& out_;
  char pending_[256];
  size_t pending_size_ = 0;
};

// Reads what PackedWriter wrote. Every call returns false on malformed or exhausted input (and
// stays failed), so a caller checks once per record rather than per field.
class PackedReader {
 public:
  explicit PackedReader(std::string_view in) : in_(in) {}
  bool Text(std::string_view& text);
  bool Int(int64_t& value);
  bool done() const { return in_.empty(); }
  bool failed() const { return failed_; }

 private:
  std::string_view in_;
  bool failed_ = false;
};

}  // namespace tributary
