#include "common/json_text.hpp"

namespace tributary {

namespace {

// nlohmann's serializer costs a locale query, a shared output adapter and a 512-byte indent
// buffer to construct: more than writing a small record. Each thread keeps one, writing into a
// scratch string that the caller's writer then appends.
struct ThreadSerializer {
  std::string scratch;
  nlohmann::detail::serializer<nlohmann::json> serializer{
      nlohmann::detail::output_adapter<char>(scratch), ' ',
      nlohmann::json::error_handler_t::replace};

  const std::string& Dump(const nlohmann::json& value) {
    scratch.clear();
    serializer.dump(value, false, false, 0);
    return scratch;
  }
};

ThreadSerializer& LocalSerializer() {
  thread_local ThreadSerializer local;
  return local;
}

}  // namespace

JsonTextWriter::JsonTextWriter(std::string& out) : out_(out) {}

void JsonTextWriter::Value(const nlohmann::json& value) {
  out_.append(LocalSerializer().Dump(value));
}

bool IsPlainJsonString(std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x80 || c == '"' || c == '\\') return false;
  }
  return true;
}

void JsonTextWriter::String(std::string_view text) {
  // Printable ASCII without quote or backslash is written as it is; anything else (escapes,
  // UTF-8 to validate or replace) goes through the serializer, so the bytes stay nlohmann's.
  if (!IsPlainJsonString(text)) {
    Value(nlohmann::json(std::string(text)));
    return;
  }
  out_.push_back('"');
  out_.append(text);
  out_.push_back('"');
}

void JsonTextWriter::Name(std::string_view name) {
  String(name);
  out_.push_back(':');
}

namespace {

void SkipSpace(std::string_view text, size_t& i) {
  while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) {
    ++i;
  }
}

// At an opening quote: moves past the closing one. False when unterminated.
bool SkipString(std::string_view text, size_t& i, bool* escaped = nullptr) {
  for (++i; i < text.size(); ++i) {
    if (text[i] == '\\') {
      if (escaped != nullptr) *escaped = true;
      ++i;
    } else if (text[i] == '"') {
      ++i;
      return true;
    }
  }
  return false;
}

// Moves past one value (string, object, array, number or literal). False when malformed.
bool SkipValue(std::string_view text, size_t& i) {
  if (i >= text.size()) return false;
  if (text[i] == '"') return SkipString(text, i);
  if (text[i] == '{' || text[i] == '[') {
    int depth = 0;
    while (i < text.size()) {
      const char c = text[i];
      if (c == '"') {
        if (!SkipString(text, i)) return false;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') --depth;
      ++i;
      if (depth == 0) return true;
    }
    return false;
  }
  const size_t start = i;
  while (i < text.size() && text[i] != ',' && text[i] != '}' && text[i] != ']' &&
         text[i] != ' ' && text[i] != '\n' && text[i] != '\r' && text[i] != '\t') {
    ++i;
  }
  return i > start;
}

}  // namespace

MemberScan MemberReader::Next(std::string_view& name, std::string_view& value) {
  const std::string_view text = text_;
  size_t& i = at_;
  SkipSpace(text, i);
  if (!started_) {
    started_ = true;
    if (i >= text.size() || text[i] != '{') return MemberScan::kUnsure;
    ++i;
    SkipSpace(text, i);
    if (i < text.size() && text[i] == '}') {
      i = text.size();
      return MemberScan::kMissing;
    }
  } else if (i < text.size() && text[i] == ',') {
    ++i;
    SkipSpace(text, i);
  } else if (i < text.size() && text[i] == '}') {
    return MemberScan::kMissing;
  } else {
    return MemberScan::kUnsure;
  }
  if (i >= text.size() || text[i] != '"') return MemberScan::kUnsure;
  const size_t name_start = i + 1;
  bool escaped = false;
  if (!SkipString(text, i, &escaped) || escaped) return MemberScan::kUnsure;
  name = text.substr(name_start, i - 1 - name_start);
  SkipSpace(text, i);
  if (i >= text.size() || text[i] != ':') return MemberScan::kUnsure;
  ++i;
  SkipSpace(text, i);
  const size_t value_start = i;
  if (!SkipValue(text, i)) return MemberScan::kUnsure;
  value = text.substr(value_start, i - value_start);
  return MemberScan::kFound;
}

MemberScan FindMember(std::string_view text, std::string_view name, std::string_view& value) {
  MemberReader members(text);
  std::string_view member;
  for (;;) {
    const MemberScan scan = members.Next(member, value);
    if (scan != MemberScan::kFound || member == name) return scan;
  }
}

std::string CanonicalJson(const nlohmann::json& j) { return LocalSerializer().Dump(j); }

}  // namespace tributary
