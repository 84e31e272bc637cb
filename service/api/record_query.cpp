#include "service/api/record_query.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "service/api/base64url.hpp"

namespace tributary::service::api {
namespace {

using nlohmann::json;

constexpr int kCursorVersion = 2;
constexpr size_t kMaxCursorLength = 16 * 1024;
constexpr size_t kMaxFilters = 32;
constexpr const char* kFilterSyntax =
    "expected <field><op><value> with <op> one of =, !=, <, <=, >, >=, ~ (contains), or "
    "\"<field> in a,b,c\"; e.g. \"price<20\"";

std::string Quoted(const std::string& s) { return json(s).dump(); }

bool IsFieldChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-' ||
         c == '$' || c == '@' || c == ':' || c == '/' || (static_cast<unsigned char>(c) >= 0x80);
}

std::string Trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && s[b] == ' ') ++b;
  while (e > b && s[e - 1] == ' ') --e;
  return std::string(s.substr(b, e - b));
}

// A double-quoted value loses its quotes (so it may hold spaces at its ends or commas).
std::string Unquote(const std::string& s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

// The closest of `known` (edit distance <= 2), for did-you-mean.
std::string Suggestion(const std::string& name, const std::set<std::string>& known) {
  std::string best;
  size_t best_distance = 3;
  for (const auto& k : known) {
    std::vector<size_t> prev(k.size() + 1);
    std::vector<size_t> cur(k.size() + 1);
    for (size_t j = 0; j <= k.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= name.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= k.size(); ++j) {
        cur[j] = std::min(
            {prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (name[i - 1] == k[j - 1] ? 0 : 1)});
      }
      std::swap(prev, cur);
    }
    if (prev[k.size()] < best_distance) {
      best_distance = prev[k.size()];
      best = k;
    }
  }
  return best;
}

std::optional<QueryError> ParseFieldPath(const std::string& parameter, const std::string& name,
                                         const std::set<std::string>& known, FieldPath& out) {
  out.name = name;
  out.parts.clear();
  if (name == "key") {
    out.kind = FieldPath::Kind::kKey;
    return std::nullopt;
  }
  if (name == "sources") {
    out.kind = FieldPath::Kind::kSources;
    return std::nullopt;
  }
  if (name == "has_conflict") {
    out.kind = FieldPath::Kind::kHasConflict;
    return std::nullopt;
  }
  out.kind = FieldPath::Kind::kField;
  size_t start = 0;
  while (true) {
    const size_t dot = name.find('.', start);
    out.parts.push_back(name.substr(start, dot == std::string::npos ? dot : dot - start));
    if (out.parts.back().empty()) {
      return QueryError{parameter, "invalid field name " + Quoted(name)};
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (!known.empty() && !known.count(out.parts.front())) {
    std::set<std::string> all = known;
    all.insert({"key", "sources", "has_conflict"});
    std::string message = "unknown field " + Quoted(out.parts.front());
    if (auto s = Suggestion(out.parts.front(), all); !s.empty()) {
      message += "; did you mean " + Quoted(s) + "?";
    } else {
      std::string list;
      for (const auto& k : all) list += (list.empty() ? "" : ", ") + k;
      message += "; the fields are " + list;
    }
    return QueryError{parameter, message};
  }
  return std::nullopt;
}

// `a,"b,c", d` -> {a, b,c, d}.
std::optional<std::vector<std::string>> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  bool quoted = false;
  bool was_quoted = false;
  for (char c : text) {
    if (c == '"') {
      quoted = !quoted;
      was_quoted = true;
    } else if (c == ',' && !quoted) {
      out.push_back(was_quoted ? current : Trim(current));
      current.clear();
      was_quoted = false;
    } else {
      current += c;
    }
  }
  if (quoted) return std::nullopt;
  out.push_back(was_quoted ? current : Trim(current));
  return out;
}

std::optional<QueryError> ParseFilter(const std::string& text, const std::set<std::string>& known,
                                      Filter& out) {
  out.text = text;
  size_t i = 0;
  while (i < text.size() && IsFieldChar(text[i])) ++i;
  const std::string name = text.substr(0, i);
  if (name.empty()) {
    return QueryError{"filter", kFilterSyntax + std::string(", got ") + Quoted(text)};
  }
  size_t j = i;
  while (j < text.size() && text[j] == ' ') ++j;
  const std::string_view rest = std::string_view(text).substr(j);
  struct OpName {
    std::string_view text;
    Filter::Op op;
  };
  static constexpr OpName kOps[] = {{"!=", Filter::Op::kNe},     {"<=", Filter::Op::kLe},
                                    {">=", Filter::Op::kGe},     {"=", Filter::Op::kEq},
                                    {"<", Filter::Op::kLt},      {">", Filter::Op::kGt},
                                    {"~", Filter::Op::kContains}};
  bool found = false;
  std::string value;
  for (const auto& candidate : kOps) {
    if (rest.substr(0, candidate.text.size()) == candidate.text) {
      out.op = candidate.op;
      value = Unquote(Trim(rest.substr(candidate.text.size())));
      found = true;
      break;
    }
  }
  if (!found && j > i && rest.substr(0, 3) == "in ") {
    out.op = Filter::Op::kIn;
    auto list = SplitList(Trim(rest.substr(3)));
    if (!list) return QueryError{"filter", "unterminated quote in " + Quoted(text)};
    if (list->size() == 1 && list->front().empty()) {
      return QueryError{"filter", "\"in\" needs at least one value: " + Quoted(text) +
                                      "; e.g. \"currency in EUR,USD\""};
    }
    out.values = std::move(*list);
    found = true;
  } else if (found) {
    out.values = {value};
  }
  if (!found) {
    return QueryError{"filter", kFilterSyntax + std::string(", got ") + Quoted(text)};
  }
  return ParseFieldPath("filter", name, known, out.field);
}

std::optional<double> ParseNumber(const std::string& text) {
  if (text.empty()) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string TextOf(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// One scalar value against one filter value.
bool CompareScalar(const json& v, Filter::Op op, const std::string& text) {
  using Op = Filter::Op;
  if (v.is_null()) return op == Op::kEq ? text == "null" : op == Op::kNe && text != "null";
  if (op == Op::kContains) return Lower(TextOf(v)).find(Lower(text)) != std::string::npos;
  if (op == Op::kIn) op = Op::kEq;
  int order = 0;  // v compared with text: <0, 0, >0
  if (v.is_number()) {
    auto n = ParseNumber(text);
    if (!n) return op == Op::kNe;
    const double d = v.get<double>();
    order = d < *n ? -1 : (d > *n ? 1 : 0);
  } else if (v.is_boolean()) {
    if (text != "true" && text != "false") return op == Op::kNe;
    order = static_cast<int>(v.get<bool>()) - static_cast<int>(text == "true");
  } else {
    const int c = TextOf(v).compare(text);
    order = c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  switch (op) {
    case Op::kEq:
      return order == 0;
    case Op::kNe:
      return order != 0;
    case Op::kLt:
      return order < 0;
    case Op::kLe:
      return order <= 0;
    case Op::kGt:
      return order > 0;
    case Op::kGe:
      return order >= 0;
    default:
      return false;
  }
}

bool MatchesValue(const json& v, const Filter& f) {
  if (f.op == Filter::Op::kIn) {
    return std::any_of(f.values.begin(), f.values.end(),
                       [&](const std::string& t) { return CompareScalar(v, Filter::Op::kIn, t); });
  }
  return CompareScalar(v, f.op, f.values.front());
}

// Sort ranks: numbers, strings, booleans, lists and objects, then missing/null (always last).
int Rank(const json& v) {
  if (v.is_number()) return 0;
  if (v.is_string()) return 1;
  if (v.is_boolean()) return 2;
  if (v.is_null()) return 4;
  return 3;
}

int CompareValues(const json& a, const json& b) {
  const int ra = Rank(a);
  const int rb = Rank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0: {
      const double x = a.get<double>();
      const double y = b.get<double>();
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    case 1: {
      const int c = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case 2:
      return static_cast<int>(a.get<bool>()) - static_cast<int>(b.get<bool>());
    case 3: {
      const int c = a.dump().compare(b.dump());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    default:
      return 0;
  }
}

struct Row {
  const json* record;
  std::vector<json> values;  // sort values
  const std::string* key;
};

// Orders rows by the sort keys then by key; `values`/`key` of either side may be a cursor.
int CompareRows(const std::vector<SortKey>& sort, const std::vector<json>& av,
                const std::string& ak, const std::vector<json>& bv, const std::string& bk) {
  for (size_t i = 0; i < sort.size(); ++i) {
    const bool a_missing = av[i].is_null();
    const bool b_missing = bv[i].is_null();
    if (a_missing != b_missing) return a_missing ? 1 : -1;  // missing last in both directions
    int c = CompareValues(av[i], bv[i]);
    if (sort[i].descending) c = -c;
    if (c != 0) return c;
  }
  const int c = ak.compare(bk);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

const std::string kEmpty;

}  // namespace

const json* Lookup(const FieldPath& path, const json& record, json& scratch) {
  switch (path.kind) {
    case FieldPath::Kind::kKey: {
      auto it = record.find("key");
      return it == record.end() ? nullptr : &*it;
    }
    case FieldPath::Kind::kSources: {
      auto it = record.find("sources");
      return it == record.end() ? nullptr : &*it;
    }
    case FieldPath::Kind::kHasConflict: {
      auto it = record.find("conflicts");
      scratch = it != record.end() && it->is_array() && !it->empty();
      return &scratch;
    }
    case FieldPath::Kind::kField:
      break;
  }
  auto fields = record.find("fields");
  if (fields == record.end() || !fields->is_object()) return nullptr;
  const json* at = &*fields;
  for (const auto& part : path.parts) {
    if (!at->is_object()) return nullptr;
    auto it = at->find(part);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

bool Matches(const Filter& f, const json& record) {
  json scratch;
  const json* v = Lookup(f.field, record, scratch);
  static const json kNull;
  if (v == nullptr) v = &kNull;
  if (v->is_array()) {
    if (f.op == Filter::Op::kNe) {
      return std::all_of(v->begin(), v->end(), [&](const json& e) { return MatchesValue(e, f); });
    }
    return std::any_of(v->begin(), v->end(), [&](const json& e) { return MatchesValue(e, f); });
  }
  return MatchesValue(*v, f);
}

std::optional<QueryError> ParseRecordQuery(const std::vector<std::string>& filters,
                                           const std::string* sort, const std::string* fields,
                                           const std::string* limit, const std::string* cursor,
                                           const std::set<std::string>& known,
                                           const QueryLimits& limits, RecordQuery& out) {
  if (filters.size() > kMaxFilters) {
    return QueryError{"filter", "at most " + std::to_string(kMaxFilters) + " filters"};
  }
  for (const auto& text : filters) {
    Filter f;
    if (auto e = ParseFilter(text, known, f)) return e;
    out.filters.push_back(std::move(f));
  }
  if (sort != nullptr) {
    auto parts = SplitList(*sort);
    if (!parts) return QueryError{"sort", "unterminated quote in " + Quoted(*sort)};
    std::set<std::string> seen;
    for (auto part : *parts) {
      SortKey key;
      if (!part.empty() && (part[0] == '-' || part[0] == '+')) {
        key.descending = part[0] == '-';
        part.erase(0, 1);
      }
      if (part.empty()) {
        return QueryError{"sort",
                          "expected a comma-separated list of field names, each with an "
                          "optional - (descending), e.g. \"-price,title\"; got " +
                              Quoted(*sort)};
      }
      if (!seen.insert(part).second) {
        return QueryError{"sort", "field " + Quoted(part) + " is listed twice"};
      }
      if (auto e = ParseFieldPath("sort", part, known, key.field)) return e;
      out.sort_text +=
          (out.sort_text.empty() ? "" : ",") + std::string(key.descending ? "-" : "") + part;
      out.sort.push_back(std::move(key));
    }
  }
  if (fields != nullptr) {
    auto parts = SplitList(*fields);
    if (!parts || parts->empty() || (parts->size() == 1 && parts->front().empty())) {
      return QueryError{"fields",
                        "expected a comma-separated list of field names, e.g. "
                        "\"title,price\"; got " +
                            Quoted(*fields)};
    }
    for (const auto& name : *parts) {
      FieldPath path;
      if (auto e = ParseFieldPath("fields", name, known, path)) return e;
      if (path.kind != FieldPath::Kind::kField || path.parts.size() != 1) {
        return QueryError{"fields", "expected names of record fields, got " + Quoted(name) +
                                        " (key and sources are always included)"};
      }
    }
    out.fields = std::move(*parts);
  }
  out.limit = limits.default_limit;
  if (limit != nullptr) {
    size_t value = 0;
    auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
    if (ec != std::errc() || end != limit->data() + limit->size() || value < 1 ||
        value > limits.max_limit) {
      return QueryError{"limit", "expected an integer between 1 and " +
                                     std::to_string(limits.max_limit) + ", got " + Quoted(*limit)};
    }
    out.limit = value;
  }
  if (cursor != nullptr) {
    const QueryError invalid{"cursor",
                             "not a cursor this endpoint returned (pass next_cursor unchanged)"};
    if (cursor->empty() || cursor->size() > kMaxCursorLength) return invalid;
    auto text = Base64UrlDecode(*cursor);
    if (!text) return invalid;
    const json token = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!token.is_object() || token.value("v", 0) != kCursorVersion) return invalid;
    const auto after = token.find("after");
    if (after == token.end() || !after->is_array() || after->size() != out.sort.size() + 1 ||
        !after->back().is_string()) {
      return invalid;
    }
    if (token.value("sort", std::string()) != out.sort_text) {
      return QueryError{"cursor",
                        "this cursor belongs to sort=" + token.value("sort", std::string()) +
                            "; keep the same sort while paging, or start again "
                            "without a cursor"};
    }
    out.after = *after;
  }
  return std::nullopt;
}

QueryPage RunRecordQuery(const RecordQuery& query, const std::vector<json>& records) {
  QueryPage page;
  std::vector<Row> rows;
  rows.reserve(records.size());
  json scratch;
  for (const auto& r : records) {
    bool pass = true;
    for (const auto& f : query.filters) {
      if (!Matches(f, r)) {
        pass = false;
        break;
      }
    }
    if (!pass) continue;
    Row row{&r, {}, &kEmpty};
    if (auto it = r.find("key"); it != r.end() && it->is_string()) {
      row.key = &it->get_ref<const std::string&>();
    }
    for (const auto& s : query.sort) {
      const json* v = Lookup(s.field, r, scratch);
      row.values.push_back(v ? *v : json());
    }
    rows.push_back(std::move(row));
  }
  page.matched = rows.size();
  auto less = [&](const Row& a, const Row& b) {
    return CompareRows(query.sort, a.values, *a.key, b.values, *b.key) < 0;
  };
  if (!std::is_sorted(rows.begin(), rows.end(), less)) std::sort(rows.begin(), rows.end(), less);

  auto begin = rows.begin();
  std::vector<json> after_values;
  std::string after_key;
  if (query.after) {
    after_values.assign(query.after->begin(), query.after->end() - 1);
    after_key = query.after->back().get<std::string>();
    begin = std::partition_point(rows.begin(), rows.end(), [&](const Row& row) {
      return CompareRows(query.sort, row.values, *row.key, after_values, after_key) <= 0;
    });
  }
  const size_t available = static_cast<size_t>(rows.end() - begin);
  const size_t take = std::min(available, query.limit);
  for (size_t i = 0; i < take; ++i) page.records.push_back(begin[i].record);
  if (available > take && take > 0) {
    const Row& last = begin[take - 1];
    page.next_cursor = EncodeCursor(query, last.values, *last.key);
  }
  return page;
}

bool IsKeyRange(const RecordQuery& query) { return query.filters.empty() && query.sort.empty(); }

std::string EncodeCursor(const RecordQuery& query, const std::vector<json>& sort_values,
                         const std::string& key) {
  json after = json::array();
  for (const auto& v : sort_values) after.push_back(v);
  after.push_back(key);
  const json token = {{"v", kCursorVersion}, {"sort", query.sort_text}, {"after", after}};
  return Base64UrlEncode(token.dump(-1, ' ', false, json::error_handler_t::replace));
}

json Project(const RecordQuery& query, const json& record) {
  if (!query.fields) return record;
  json out = json::object();
  const auto& names = *query.fields;
  auto keep = [&](const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  for (auto it = record.begin(); it != record.end(); ++it) {
    const std::string& member = it.key();
    if ((member == "fields" || member == "provenance") && it->is_object()) {
      json narrowed = json::object();
      for (const auto& name : names) {
        if (auto f = it->find(name); f != it->end()) narrowed[name] = *f;
      }
      out[member] = std::move(narrowed);
    } else if (member == "conflicts" && it->is_array()) {
      json narrowed = json::array();
      for (const auto& c : *it) {
        if (c.is_object() && c.contains("field") && c["field"].is_string() &&
            keep(c["field"].get<std::string>())) {
          narrowed.push_back(c);
        }
      }
      out[member] = std::move(narrowed);
    } else {
      out[member] = *it;
    }
  }
  return out;
}

}  // namespace tributary::service::api
