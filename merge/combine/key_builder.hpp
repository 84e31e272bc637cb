#pragma once
// The view key of a source record: the view's key fields, found through the source's field
// renaming, each normalised by the view's normalisers (trim, case fold, NFKC, accent folding,
// digits only, leading zeros, regex capture, lookup map), then joined (composite keys are a
// JSON array of the parts, as MakeKey builds them).
// Thread safety: immutable after construction; KeyOf may be called from any thread.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace tributary::merge::combine {

// How one source's fields become the view's: renames (view field <- source field) first, then
// the source's other fields under their own names unless a rename consumed or claimed the name.
class FieldMapping {
 public:
  explicit FieldMapping(const config::ViewSourceRef& ref);

  // The source field that provides `view_field`, or nullptr when none can.
  const std::string* SourceFieldFor(const std::string& view_field) const;
  // Calls fn(view_field, value) for each field the source record provides to the view.
  template <class Fn>
  void ForEach(const nlohmann::json& fields, Fn&& fn) const {
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      const std::string& name = it.key();
      if (auto r = renamed_from_.find(name); r != renamed_from_.end()) {
        for (const auto& view_field : r->second) fn(view_field, *it);
        continue;
      }
      if (claimed_.count(name)) continue;
      fn(name, *it);
    }
  }
  // Calls fn(view_field) for each view field that the source field `name` provides (the same
  // rule as ForEach, for a record read from its text).
  template <class Fn>
  void ForEachViewName(std::string_view name, Fn&& fn) const {
    if (auto r = renamed_from_.find(name); r != renamed_from_.end()) {
      for (const auto& view_field : r->second) fn(std::string_view(view_field));
      return;
    }
    if (!claimed_.count(name)) fn(name);
  }
  // The view's fields of a source record, as one object.
  nlohmann::json Apply(const nlohmann::json& fields) const;

 private:
  std::map<std::string, std::string> view_to_source_;  // renames
  // source -> view fields. Transparent comparators: a merge on texts looks names up as views.
  std::map<std::string, std::vector<std::string>, std::less<>> renamed_from_;
  // View names a rename gives (a same-named field yields).
  std::set<std::string, std::less<>> claimed_;
};

class KeyBuilder {
 public:
  explicit KeyBuilder(const config::ViewConfig& view);
  ~KeyBuilder();
  KeyBuilder(KeyBuilder&&) noexcept;
  KeyBuilder& operator=(KeyBuilder&&) noexcept;

  // The view key of a record of the view's source at `source_index` (raw source fields), or
  // nullopt when a key field is missing or empty after normalisation.
  std::optional<std::string> KeyOf(size_t source_index, const nlohmann::json& fields) const;
  // The same from the fields' JSON text (a stored record), reading only the key fields.
  std::optional<std::string> KeyOfText(size_t source_index, std::string_view fields_text) const;
  // One key field's value after the normalisers (nullopt: no usable value).
  std::optional<std::string> Normalize(size_t key_index, const nlohmann::json& value) const;

  const std::vector<FieldMapping>& mappings() const { return mappings_; }

 private:
  struct Step;
  // The key from each key field's value, which `value_of` finds (kFound, kMissing, or
  // kUnsure: `unsure` is set and the key is nullopt).
  template <class ValueOf>
  std::optional<std::string> Assemble(size_t source_index, ValueOf&& value_of,
                                      bool& unsure) const;

  std::vector<std::string> key_;
  std::vector<std::vector<Step>> steps_;  // per key field
  std::vector<FieldMapping> mappings_;    // per view source
};

}  // namespace tributary::merge::combine
