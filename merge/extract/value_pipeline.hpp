#pragma once
// The per-field value pipeline of a FieldSpec, in this order:
//   1. whitespace: `trim` trims both ends, `collapse` (with trim) also turns inner runs into
//      one space;
//   2. `regex` (RE2): its first capture group, or the whole match when it has none; no match
//      means no value;
//   3. `split`: the text becomes a list of its parts (each trimmed as in 1, empty ones dropped);
//      each part then goes through 4-6 and the value is the list (or, with `join`, the parts
//      joined again);
//   4. `map`: a lookup table; a hit replaces the text by the table's value (a non-string value
//      is final), a miss keeps the text;
//   5. `lowercase` / `uppercase`;
//   6. `type`: string, number, integer, boolean, date (the field's `date_format`s first, then
//      the common formats), url (resolved against the page's URL).
// JSON numbers and booleans convert directly unless a regex or split is set (then their text
// goes through them). Arrays and objects pass through unchanged. Empty text is no value. The
// default, `required` and `join` of multiple values are applied by the caller
// (RecordAssembler), not here.
// Thread safety: immutable after Compile; Apply is const and reentrant.

#include <re2/re2.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "config/config.hpp"

namespace tributary::merge::extract {

class ValuePipeline {
 public:
  // Errors: an invalid regex ("missing ): (a" style message from RE2).
  static Result<ValuePipeline> Compile(const config::FieldSpec& field);

  enum class Outcome { kValue, kNone, kInvalid };
  struct Converted {
    Outcome outcome = Outcome::kNone;
    nlohmann::json value;  // when kValue
  };
  // base_url resolves relative links of url fields.
  Converted Apply(const nlohmann::json& raw, std::string_view base_url) const;

 private:
  ValuePipeline(config::ValueType type, bool trim, config::FieldTransforms transforms,
                std::shared_ptr<const re2::RE2> regex)
      : type_(type), trim_(trim), transforms_(std::move(transforms)), regex_(std::move(regex)) {}

  std::string Whitespace(std::string_view text) const;
  Converted FromText(std::string text, std::string_view base_url) const;
  Converted Convert(std::string text, std::string_view base_url) const;
  Converted FromScalar(const nlohmann::json& raw) const;

  config::ValueType type_;
  bool trim_;
  config::FieldTransforms transforms_;
  std::shared_ptr<const re2::RE2> regex_;  // null without a regex
};

}  // namespace tributary::merge::extract
