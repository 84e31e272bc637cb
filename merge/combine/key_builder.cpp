#include "merge/combine/key_builder.hpp"

#include <re2/re2.h>

#include <memory>

#include "common/json_parse.hpp"
#include "common/json_text.hpp"

#include "merge/combine/text_fold.hpp"

namespace tributary::merge::combine {

using Kind = config::KeyNormalizer::Kind;

struct KeyBuilder::Step {
  Kind kind = Kind::kTrim;
  // Shared so that KeyBuilder stays cheap to move; never modified after construction.
  std::shared_ptr<const re2::RE2> re;                             // kRegex
  std::shared_ptr<const std::map<std::string, std::string>> map;  // kMap
};

FieldMapping::FieldMapping(const config::ViewSourceRef& ref) : view_to_source_(ref.fields) {
  for (const auto& [view_field, source_field] : ref.fields) {
    renamed_from_[source_field].push_back(view_field);
    claimed_.insert(view_field);
  }
}

const std::string* FieldMapping::SourceFieldFor(const std::string& view_field) const {
  if (auto it = view_to_source_.find(view_field); it != view_to_source_.end()) return &it->second;
  if (renamed_from_.count(view_field)) return nullptr;  // renamed away to another view name
  return &view_field;
}

nlohmann::json FieldMapping::Apply(const nlohmann::json& fields) const {
  nlohmann::json out = nlohmann::json::object();
  ForEach(fields, [&out](const std::string& name, const nlohmann::json& v) { out[name] = v; });
  return out;
}

KeyBuilder::KeyBuilder(const config::ViewConfig& view) : key_(view.key) {
  for (const auto& ref : view.sources) mappings_.emplace_back(ref);
  for (const auto& field : key_) {
    std::vector<config::KeyNormalizer> all = view.normalize;
    if (auto it = view.field_normalize.find(field); it != view.field_normalize.end()) {
      all.insert(all.end(), it->second.begin(), it->second.end());
    }
    std::vector<Step> steps;
    for (const auto& n : all) {
      Step s;
      s.kind = n.kind;
      if (n.kind == Kind::kRegex) {
        // Validated by the config loader; an invalid one here just never matches.
        s.re = std::make_shared<const re2::RE2>(n.pattern, re2::RE2::Quiet);
      } else if (n.kind == Kind::kMap) {
        s.map = std::make_shared<const std::map<std::string, std::string>>(n.map);
      }
      steps.push_back(std::move(s));
    }
    steps_.push_back(std::move(steps));
  }
}

KeyBuilder::~KeyBuilder() = default;
KeyBuilder::KeyBuilder(KeyBuilder&&) noexcept = default;
KeyBuilder& KeyBuilder::operator=(KeyBuilder&&) noexcept = default;

std::optional<std::string> KeyBuilder::Normalize(size_t key_index,
                                                 const nlohmann::json& value) const {
  if (value.is_null()) return std::nullopt;
  std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  for (const Step& s : steps_[key_index]) {
    switch (s.kind) {
      case Kind::kTrim:
        text = std::string(TrimSpace(text));
        break;
      case Kind::kCollapseSpace:
        text = CollapseSpace(text);
        break;
      case Kind::kCasefold:
        text = Fold(text, {false, true, false});
        break;
      case Kind::kNfkc:
        text = Fold(text, {true, false, false});
        break;
      case Kind::kUnaccent:
        text = Fold(text, {false, false, true});
        break;
      case Kind::kDigits: {
        std::string digits;
        for (char c : text) {
          if (c >= '0' && c <= '9') digits.push_back(c);
        }
        text = std::move(digits);
        break;
      }
      case Kind::kStripZeros: {
        const size_t first = text.find_first_not_of('0');
        if (first == std::string::npos) {
          if (!text.empty()) text = "0";
        } else {
          text.erase(0, first);
        }
        break;
      }
      case Kind::kRegex: {
        if (!s.re || !s.re->ok()) return std::nullopt;
        // The first capture group when the pattern has one, else the whole match.
        re2::StringPiece groups[2];
        const int n = s.re->NumberOfCapturingGroups() > 0 ? 2 : 1;
        if (!s.re->Match(text, 0, text.size(), re2::RE2::UNANCHORED, groups, n)) {
          return std::nullopt;
        }
        text = std::string(groups[n - 1].data(), groups[n - 1].size());
        break;
      }
      case Kind::kMap:
        if (auto it = s.map->find(text); it != s.map->end()) text = it->second;
        break;
    }
  }
  if (text.empty()) return std::nullopt;
  return text;
}

template <class ValueOf>
std::optional<std::string> KeyBuilder::Assemble(size_t source_index, ValueOf&& value_of,
                                                bool& unsure) const {
  if (key_.empty() || source_index >= mappings_.size()) return std::nullopt;
  const FieldMapping& mapping = mappings_[source_index];
  std::vector<std::string> parts;
  parts.reserve(key_.size());
  nlohmann::json storage;
  for (size_t i = 0; i < key_.size(); ++i) {
    const std::string* source_field = mapping.SourceFieldFor(key_[i]);
    if (source_field == nullptr) return std::nullopt;
    const nlohmann::json* value = nullptr;
    switch (value_of(*source_field, value, storage)) {
      case MemberScan::kMissing:
        return std::nullopt;
      case MemberScan::kUnsure:
        unsure = true;
        return std::nullopt;
      case MemberScan::kFound:
        break;
    }
    auto part = Normalize(i, *value);
    if (!part) return std::nullopt;
    parts.push_back(std::move(*part));
  }
  if (parts.size() == 1) return std::move(parts.front());
  return nlohmann::json(parts).dump();
}

std::optional<std::string> KeyBuilder::KeyOf(size_t source_index,
                                             const nlohmann::json& fields) const {
  bool unsure = false;
  return Assemble(
      source_index,
      [&fields](const std::string& name, const nlohmann::json*& value, nlohmann::json&) {
        auto it = fields.find(name);
        if (it == fields.end()) return MemberScan::kMissing;
        value = &*it;
        return MemberScan::kFound;
      },
      unsure);
}

std::optional<std::string> KeyBuilder::KeyOfText(size_t source_index,
                                                 std::string_view fields_text) const {
  // The usual key: one field without normalisers, a string without escapes: the text between
  // its quotes, as the general path below gives it, without a JSON value or a list of parts
  // on the way (an index build computes millions of keys).
  if (key_.size() == 1 && steps_[0].empty() && source_index < mappings_.size()) {
    const std::string* source_field = mappings_[source_index].SourceFieldFor(key_[0]);
    if (source_field == nullptr) return std::nullopt;
    std::string_view raw;
    const MemberScan scan = FindMember(fields_text, *source_field, raw);
    if (scan == MemberScan::kMissing) return std::nullopt;
    if (scan == MemberScan::kFound && raw.size() >= 2 && raw.front() == '"' &&
        raw.find('\\') == std::string_view::npos) {
      if (raw.size() == 2) return std::nullopt;  // empty: no key
      return std::string(raw.substr(1, raw.size() - 2));
    }
  }
  bool unsure = false;
  auto key = Assemble(
      source_index,
      [fields_text](const std::string& name, const nlohmann::json*& value,
                    nlohmann::json& storage) {
        std::string_view raw;
        const MemberScan scan = FindMember(fields_text, name, raw);
        if (scan != MemberScan::kFound) return scan;
        // A plain string is taken as it is; anything else (escapes, numbers) is parsed.
        if (raw.size() >= 2 && raw.front() == '"' && raw.find('\\') == std::string_view::npos) {
          storage = std::string(raw.substr(1, raw.size() - 2));
        } else {
          storage = ParseJsonOrDiscarded(raw);
          if (storage.is_discarded()) return MemberScan::kUnsure;
        }
        value = &storage;
        return MemberScan::kFound;
      },
      unsure);
  if (!unsure) return key;
  // Text the scan could not read with certainty: parse it whole.
  const auto fields = ParseJsonOrDiscarded(fields_text);
  if (!fields.is_object()) return std::nullopt;
  return KeyOf(source_index, fields);
}

}  // namespace tributary::merge::combine
