#pragma once
// The per-field value pipeline of a FieldSpec: raw value -> trim -> regex -> type.
//
// Text is trimmed and inner whitespace runs collapsed to one space (when `trim`); the regex
// (RE2) keeps its first capture group, or the whole match when it has none, and no match means
// no value; then the text is converted to the field's type. JSON numbers and booleans convert
// directly unless a regex is set (then their text goes through it). Arrays and objects pass
// through unchanged. Empty text is no value. The default and `required` are applied by the
// caller (RecordAssembler), not here.
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
  ValuePipeline(config::ValueType type, bool trim, std::shared_ptr<const re2::RE2> regex)
      : type_(type), trim_(trim), regex_(std::move(regex)) {}

  Converted FromText(std::string text, std::string_view base_url) const;
  Converted FromScalar(const nlohmann::json& raw) const;

  config::ValueType type_;
  bool trim_;
  std::shared_ptr<const re2::RE2> regex_;  // null without a regex
};

}  // namespace tributary::merge::extract
