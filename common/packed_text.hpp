#pragma once
// A flat sequence of texts and integers, each written as <decimal length>:<bytes> (a netstring
// without the trailing comma). The merge_keys job sends its items and results this way: the
// texts inside are JSON the two sides already hold, carried as they are, never parsed into a
// tree only to find where one ends.
// Thread safety: none (a writer or reader per thread).

#include <cstdint>
#include <string>
#include <string_view>

namespace tributary {

class PackedWriter {
 public:
  explicit PackedWriter(std::string& out) : out_(out) {}
  void Text(std::string_view text);
  void Int(int64_t value);

 private:
  std::string& out_;
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
