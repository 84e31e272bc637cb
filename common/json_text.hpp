#pragma once
// Canonical JSON text written directly, for the hot paths that would otherwise build an
// nlohmann tree only to dump it (the merged records of a view: millions on a full merge).
// The bytes are exactly those of nlohmann's dump(-1, ' ', false, replace) — what the store and
// the pipeline call canonical JSON — because the same serializer writes every value and string:
// objects must be written with their names in ascending byte order, as nlohmann's std::map
// keeps them. Invalid UTF-8 is replaced (U+FFFD), never thrown. The serializer is nlohmann's
// own (detail::serializer, as dump() uses it); Debian 12 ships nlohmann-json 3.11.2, and the
// json_text tests compare every kind of value with dump() so that a change would show.
// Thread safety: a writer is used by one thread at a time; each thread has its own serializer.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace tributary {

class JsonTextWriter {
 public:
  // Appends to `out`, which must outlive the writer.
  // Cheap to construct: the serializer underneath is the thread's own.
  explicit JsonTextWriter(std::string& out);
  JsonTextWriter(const JsonTextWriter&) = delete;
  JsonTextWriter& operator=(const JsonTextWriter&) = delete;

  void Value(const nlohmann::json& value);  // any JSON value, as dump() writes it
  void String(std::string_view text);       // a JSON string (quoted, escaped)
  void Name(std::string_view name);         // "name": — the caller writes ',' between members
  void Raw(std::string_view text) { out_.append(text); }
  void Char(char c) { out_.push_back(c); }

 private:
  std::string& out_;
};

// Whether JsonTextWriter::String writes `text` as it is between quotes: printable ASCII
// without a quote or backslash.
bool IsPlainJsonString(std::string_view text);

// Canonical JSON text of any value (the same bytes as JsonTextWriter::Value).
std::string CanonicalJson(const nlohmann::json& j);

// Finds a top-level member of a JSON object's text without parsing the rest (the key fields of
// millions of stored records). kUnsure when the text is not a plain object this scan can read
// with certainty (a name with escapes, malformed text): the caller parses it instead.
enum class MemberScan { kFound, kMissing, kUnsure };
MemberScan FindMember(std::string_view object_text, std::string_view name,
                      std::string_view& value_text);

// Reads the top-level members of a JSON object's text one at a time, in order, without parsing
// their values (a worker's records are kept as text; the fill metric reads their members).
class MemberReader {
 public:
  explicit MemberReader(std::string_view object_text) : text_(object_text) {}
  // kFound with the next member's name and value text; kMissing after the last; kUnsure as
  // for FindMember (then the caller parses the text instead).
  MemberScan Next(std::string_view& name, std::string_view& value_text);

 private:
  std::string_view text_;
  size_t at_ = 0;
  bool started_ = false;
};

}  // namespace tributary
