#include "merge/extract/json_pointer.hpp"

namespace tributary::merge::extract {
namespace {

// RFC 6901 array-index: "0" or a digit run without a leading zero.
bool ArrayIndex(const std::string& token, size_t& index) {
  if (token.empty() || token.size() > 18 || (token.size() > 1 && token[0] == '0')) return false;
  index = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return false;
    index = index * 10 + static_cast<size_t>(c - '0');
  }
  return true;
}

}  // namespace

Result<JsonPointer> JsonPointer::Parse(std::string_view text) {
  JsonPointer pointer;
  pointer.text_ = std::string(text);
  if (text.empty()) return pointer;
  if (text[0] != '/') {
    return Error::SourceBroken("a JSON Pointer must be empty or start with \"/\": \"" +
                               pointer.text_ + "\"");
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '/') {
      pointer.tokens_.emplace_back();
    } else if (c == '~') {
      const char next = i + 1 < text.size() ? text[i + 1] : '\0';
      if (next != '0' && next != '1') {
        const std::string escape = next == '\0' ? "~" : std::string(text.substr(i, 2));
        return Error::SourceBroken("invalid escape \"" + escape + "\" at position " +
                                   std::to_string(i + 1) + " in \"" + pointer.text_ +
                                   "\" (use ~0 for \"~\" and ~1 for \"/\")");
      }
      pointer.tokens_.back() += next == '0' ? '~' : '/';
      ++i;
    } else {
      pointer.tokens_.back() += c;
    }
  }
  return pointer;
}

const nlohmann::json* JsonPointer::Resolve(const nlohmann::json& document) const {
  const nlohmann::json* current = &document;
  for (const auto& token : tokens_) {
    if (current->is_object()) {
      const auto it = current->find(token);
      if (it == current->end()) return nullptr;
      current = &*it;
    } else if (current->is_array()) {
      size_t index = 0;
      if (!ArrayIndex(token, index) || index >= current->size()) return nullptr;
      current = &(*current)[index];
    } else {
      return nullptr;
    }
  }
  return current;
}

}  // namespace tributary::merge::extract
