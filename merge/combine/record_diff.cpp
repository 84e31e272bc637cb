#include "merge/combine/record_diff.hpp"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "common/json_parse.hpp"
#include "common/json_text.hpp"

namespace tributary::merge::combine {
namespace {

const nlohmann::json kNull;

const nlohmann::json& FieldOf(const nlohmann::json& object, const std::string& name) {
  if (!object.is_object()) return kNull;
  auto it = object.find(name);
  return it == object.end() ? kNull : *it;
}

}  // namespace

const char* ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAdded:
      return "added";
    case ChangeKind::kRemoved:
      return "removed";
    case ChangeKind::kChanged:
      return "changed";
  }
  return "changed";
}

std::vector<FieldChange> DiffFields(const nlohmann::json& before, const nlohmann::json& after) {
  std::vector<std::string> names;
  for (const auto* side : {&before, &after}) {
    if (!side->is_object()) continue;
    for (auto it = side->begin(); it != side->end(); ++it) names.push_back(it.key());
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::vector<FieldChange> out;
  for (const auto& name : names) {
    const auto& b = FieldOf(before, name);
    const auto& a = FieldOf(after, name);
    if (a != b) out.push_back(FieldChange{name, b, a});
  }
  return out;
}

namespace {

// The members of one side of a text diff, one at a time ("null": a record with none).
class MemberCursor {
 public:
  explicit MemberCursor(std::string_view text) {
    if (text != "null") reader_.emplace(text);
  }
  // Moves to the next member; false when the text cannot be read with certainty.
  bool Advance() {
    state_ = reader_ ? reader_->Next(name_, value_) : MemberScan::kMissing;
    return state_ != MemberScan::kUnsure;
  }
  bool at_member() const { return state_ == MemberScan::kFound; }
  std::string_view name() const { return name_; }
  std::string_view value() const { return value_; }

 private:
  std::optional<MemberReader> reader_;
  MemberScan state_ = MemberScan::kMissing;
  std::string_view name_, value_;
};

// Whether two different canonical texts may still be equal values, as the trees compare them:
// an integer and a float (1 and 1.0), the float zeros (-0.0 and 0.0), or two lists or objects
// (which may hold such numbers). Two integers, or two other floats, written apart differ: a
// canonical text is the shortest that reads back as the value.
bool MayBeEqual(std::string_view a, std::string_view b) {
  const auto kind = [](std::string_view v) {
    const char c = v.empty() ? '\0' : v[0];
    if (c == '-' || (c >= '0' && c <= '9')) return 1;
    return c == '[' || c == '{' ? 2 : 0;
  };
  const int k = kind(a);
  if (k == 0 || k != kind(b)) return false;
  if (k == 2) return true;
  const auto is_float = [](std::string_view v) {
    return v.find_first_of(".eE") != std::string_view::npos;
  };
  const auto is_zero = [](std::string_view v) { return v == "0.0" || v == "-0.0"; };
  if (is_float(a) != is_float(b)) return true;
  return is_zero(a) && is_zero(b);
}

// DiffFieldsText, and with `exact`, DiffFieldsTextExact.
bool DiffTexts(std::string_view before, std::string_view after, std::string& out, bool exact) {
  MemberCursor was(before), is(after);
  if (!was.Advance() || !is.Advance()) return false;
  out.clear();
  out.push_back('{');
  JsonTextWriter writer(out);
  bool first = true;
  const auto write = [&](std::string_view name, std::string_view b, std::string_view a) {
    if (!first) out.push_back(',');
    first = false;
    writer.Name(name);
    static constexpr std::string_view kAfter = "{\"after\":", kBefore = ",\"before\":";
    out.append(kAfter);
    out.append(a);
    out.append(kBefore);
    out.append(b);
    out.push_back('}');
  };
  while (was.at_member() || is.at_member()) {
    // Merge-joined by name (both in ascending byte order); a field missing on one side is
    // null there, so a null that appears or goes is no change.
    const int order = !is.at_member() ? -1 : !was.at_member() ? 1 : was.name().compare(is.name());
    bool ok = true;
    if (order < 0) {
      if (was.value() != "null") write(was.name(), was.value(), "null");
      ok = was.Advance();
    } else if (order > 0) {
      if (is.value() != "null") write(is.name(), "null", is.value());
      ok = is.Advance();
    } else {
      if (was.value() != is.value()) {
        if (exact && MayBeEqual(was.value(), is.value())) return false;
        write(was.name(), was.value(), is.value());
      }
      ok = was.Advance() && is.Advance();
    }
    if (!ok) return false;
  }
  out.push_back('}');
  return true;
}

}  // namespace

bool DiffFieldsText(std::string_view before, std::string_view after, std::string& out) {
  return DiffTexts(before, after, out, false);
}

bool DiffFieldsTextExact(std::string_view before, std::string_view after, std::string& out) {
  return DiffTexts(before, after, out, true);
}

std::string FieldDiffText(std::string_view before, std::string_view after) {
  std::string out;
  if (DiffFieldsText(before, after, out)) return out;
  return CanonicalJson(
      ToJson(DiffFields(ParseJsonOr(before, nullptr), ParseJsonOr(after, nullptr))));
}

nlohmann::json ToJson(const std::vector<FieldChange>& fields) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& f : fields) out[f.field] = {{"before", f.before}, {"after", f.after}};
  return out;
}

std::vector<RecordChange> DiffRecords(const std::vector<Record>& before,
                                      const std::vector<Record>& after) {
  std::unordered_map<std::string_view, const Record*> old;
  old.reserve(before.size());
  for (const auto& r : before) old.emplace(r.key, &r);
  std::vector<RecordChange> out;
  std::unordered_map<std::string_view, bool> seen;
  seen.reserve(after.size());
  for (const auto& r : after) {
    if (!seen.emplace(r.key, true).second) continue;
    auto it = old.find(r.key);
    if (it == old.end()) {
      out.push_back(
          RecordChange{r.key, ChangeKind::kAdded, nullptr, r.fields, DiffFields({}, r.fields)});
      continue;
    }
    if (it->second->fields == r.fields) continue;
    out.push_back(RecordChange{r.key, ChangeKind::kChanged, it->second->fields, r.fields,
                               DiffFields(it->second->fields, r.fields)});
  }
  for (const auto& r : before) {
    if (seen.count(r.key)) continue;
    seen.emplace(r.key, true);
    out.push_back(
        RecordChange{r.key, ChangeKind::kRemoved, r.fields, nullptr, DiffFields(r.fields, {})});
  }
  std::sort(out.begin(), out.end(),
            [](const RecordChange& a, const RecordChange& b) { return a.key < b.key; });
  return out;
}

nlohmann::json ToJson(const RecordChange& change) {
  return {{"key", change.key},
          {"op", ChangeKindName(change.kind)},
          {"before", change.before},
          {"after", change.after},
          {"fields", ToJson(change.fields)}};
}

}  // namespace tributary::merge::combine
