// JsonPath (json_path.hpp): evaluation of a parsed query (RFC 9535 section 2).
#include "merge/extract/json_path.hpp"

#include <re2/re2.h>

#include <map>
#include <utility>

#include "merge/extract/json_path_ast.hpp"
#include "merge/extract/json_path_parser.hpp"

namespace tributary::merge::extract {
namespace {

using jsonpath::CompareOp;
using jsonpath::Expr;
using jsonpath::Function;
using jsonpath::Query;
using jsonpath::Segment;
using jsonpath::Selector;
using jsonpath::Type;
using nlohmann::json;
using Nodes = std::vector<const json*>;

// A ValueType result: a node's value, a computed value, or Nothing.
struct Value {
  bool present = false;
  const json* ref = nullptr;
  json owned;

  static Value Of(const json* node) { return {true, node, {}}; }
  static Value Owned(json v) { return {true, nullptr, std::move(v)}; }
  const json& get() const { return ref != nullptr ? *ref : owned; }
};

// I-Regexp (RFC 9485) to RE2: "." matches anything but line breaks (RE2's "." would match
// "\r"); escapes and character classes are RE2's already.
std::string ToRe2(const std::string& pattern) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      out += c;
      out += pattern[++i];
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
      continue;
    }
    out += c == '.' ? std::string("[^\\n\\r]") : std::string(1, c);
  }
  return out;
}

class Evaluator {
 public:
  explicit Evaluator(const json& root) : root_(root) {}

  Nodes Run(const Query& query, const json& current) {
    Nodes nodes{query.absolute ? &root_ : &current};
    for (const Segment& segment : query.segments) {
      Nodes next;
      for (const json* node : nodes) {
        if (!segment.descendant) {
          ApplySelectors(segment, *node, next);
          continue;
        }
        // Pre-order walk (the node, then its descendants in document order), iteratively.
        std::vector<const json*> stack{node};
        while (!stack.empty()) {
          const json* visit = stack.back();
          stack.pop_back();
          ApplySelectors(segment, *visit, next);
          if (visit->is_array() || visit->is_object()) {
            std::vector<const json*> children;
            for (const auto& child : *visit) children.push_back(&child);
            for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back(*it);
          }
        }
      }
      nodes = std::move(next);
    }
    return nodes;
  }

 private:
  void ApplySelectors(const Segment& segment, const json& node, Nodes& out) {
    for (const Selector& selector : segment.selectors) Apply(selector, node, out);
  }

  void Apply(const Selector& selector, const json& node, Nodes& out) {
    switch (selector.kind) {
      case Selector::Kind::kName:
        if (node.is_object()) {
          if (auto it = node.find(selector.name); it != node.end()) out.push_back(&*it);
        }
        break;
      case Selector::Kind::kWildcard:
        if (node.is_array() || node.is_object()) {
          for (const auto& child : node) out.push_back(&child);
        }
        break;
      case Selector::Kind::kIndex:
        if (node.is_array()) {
          const auto size = static_cast<int64_t>(node.size());
          const int64_t i = selector.index >= 0 ? selector.index : size + selector.index;
          if (i >= 0 && i < size) out.push_back(&node[static_cast<size_t>(i)]);
        }
        break;
      case Selector::Kind::kSlice:
        if (node.is_array()) Slice(selector, node, out);
        break;
      case Selector::Kind::kFilter:
        if (node.is_array() || node.is_object()) {
          for (const auto& child : node) {
            if (Logical(*selector.filter, child)) out.push_back(&child);
          }
        }
        break;
    }
  }

  // Section 2.3.4.2.2.
  static void Slice(const Selector& s, const json& array, Nodes& out) {
    const int64_t step = s.step.value_or(1);
    if (step == 0) return;
    const auto len = static_cast<int64_t>(array.size());
    const int64_t start = s.start.value_or(step > 0 ? 0 : len - 1);
    const int64_t end = s.end.value_or(step > 0 ? len : -len - 1);
    const auto normalize = [len](int64_t i) { return i >= 0 ? i : len + i; };
    const int64_t n_start = normalize(start);
    const int64_t n_end = normalize(end);
    if (step > 0) {
      const int64_t lower = std::min(std::max(n_start, int64_t{0}), len);
      const int64_t upper = std::min(std::max(n_end, int64_t{0}), len);
      for (int64_t i = lower; i < upper; i += step) out.push_back(&array[static_cast<size_t>(i)]);
    } else {
      const int64_t upper = std::min(std::max(n_start, int64_t{-1}), len - 1);
      const int64_t lower = std::min(std::max(n_end, int64_t{-1}), len - 1);
      for (int64_t i = upper; lower < i; i += step) out.push_back(&array[static_cast<size_t>(i)]);
    }
  }

  bool Logical(const Expr& e, const json& current) {
    switch (e.kind) {
      case Expr::Kind::kOr:
        for (const auto& child : e.children) {
          if (Logical(*child, current)) return true;
        }
        return false;
      case Expr::Kind::kAnd:
        for (const auto& child : e.children) {
          if (!Logical(*child, current)) return false;
        }
        return true;
      case Expr::Kind::kNot:
        return !Logical(*e.children[0], current);
      case Expr::Kind::kCompare:
        return Compare(e.op, ValueOf(*e.children[0], current), ValueOf(*e.children[1], current));
      case Expr::Kind::kQuery:
        return !Run(e.query, current).empty();
      case Expr::Kind::kFunction:
        if (e.result == Type::kLogical) return CallLogical(e, current);
        return false;  // no standard function returns nodes
      case Expr::Kind::kLiteral:
        return false;  // rejected by the parser
    }
    return false;
  }

  Value ValueOf(const Expr& e, const json& current) {
    switch (e.kind) {
      case Expr::Kind::kLiteral:
        return Value::Of(&e.literal);
      case Expr::Kind::kQuery: {
        const Nodes nodes = Run(e.query, current);
        return nodes.size() == 1 ? Value::Of(nodes[0]) : Value{};
      }
      case Expr::Kind::kFunction:
        return CallValue(e, current);
      default:
        return {};
    }
  }

  Value CallValue(const Expr& e, const json& current) {
    switch (e.function) {
      case Function::kLength: {
        const Value arg = ValueOf(*e.children[0], current);
        if (!arg.present) return {};
        const json& v = arg.get();
        if (v.is_string()) {
          size_t count = 0;
          for (char c : v.get_ref<const std::string&>()) {
            if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
          }
          return Value::Owned(count);
        }
        if (v.is_array() || v.is_object()) return Value::Owned(v.size());
        return {};
      }
      case Function::kCount:
        return Value::Owned(Run(e.children[0]->query, current).size());
      case Function::kValue: {
        const Nodes nodes = Run(e.children[0]->query, current);
        return nodes.size() == 1 ? Value::Of(nodes[0]) : Value{};
      }
      default:
        return {};
    }
  }

  bool CallLogical(const Expr& e, const json& current) {
    const Value text = ValueOf(*e.children[0], current);
    const Value pattern = ValueOf(*e.children[1], current);
    if (!text.present || !pattern.present || !text.get().is_string() ||
        !pattern.get().is_string()) {
      return false;
    }
    const re2::RE2* re = Regex(pattern.get().get_ref<const std::string&>());
    if (re == nullptr) return false;
    const std::string& s = text.get().get_ref<const std::string&>();
    return e.function == Function::kMatch ? re2::RE2::FullMatch(s, *re)
                                          : re2::RE2::PartialMatch(s, *re);
  }

  // nullptr for patterns that are not valid regular expressions (then match() is false).
  const re2::RE2* Regex(const std::string& pattern) {
    auto it = regexes_.find(pattern);
    if (it == regexes_.end()) {
      re2::RE2::Options options;
      options.set_log_errors(false);
      auto re = std::make_unique<re2::RE2>(ToRe2(pattern), options);
      if (!re->ok()) re.reset();
      it = regexes_.emplace(pattern, std::move(re)).first;
    }
    return it->second.get();
  }

  static bool Equal(const Value& a, const Value& b) {
    if (!a.present || !b.present) return a.present == b.present;
    return a.get() == b.get();
  }

  static bool Less(const Value& a, const Value& b) {
    if (!a.present || !b.present) return false;
    const json& x = a.get();
    const json& y = b.get();
    if (x.is_number() && y.is_number()) {
      if (x.is_number_float() || y.is_number_float()) return x.get<double>() < y.get<double>();
      if (x.is_number_unsigned() && y.is_number_unsigned()) {
        return x.get<uint64_t>() < y.get<uint64_t>();
      }
      return x.get<int64_t>() < y.get<int64_t>();
    }
    if (x.is_string() && y.is_string()) {
      // UTF-8 byte order is code point order.
      return x.get_ref<const std::string&>() < y.get_ref<const std::string&>();
    }
    return false;
  }

  static bool Compare(CompareOp op, const Value& a, const Value& b) {
    switch (op) {
      case CompareOp::kEq:
        return Equal(a, b);
      case CompareOp::kNe:
        return !Equal(a, b);
      case CompareOp::kLt:
        return Less(a, b);
      case CompareOp::kLe:
        return Less(a, b) || Equal(a, b);
      case CompareOp::kGt:
        return Less(b, a);
      case CompareOp::kGe:
        return Less(b, a) || Equal(a, b);
    }
    return false;
  }

  const json& root_;
  std::map<std::string, std::unique_ptr<re2::RE2>> regexes_;
};

}  // namespace

Result<JsonPath> JsonPath::Parse(std::string_view text) {
  auto query = jsonpath::ParseQuery(text);
  if (!query) return query.error();
  JsonPath path;
  path.text_ = std::string(text);
  path.query_ = std::make_shared<const Query>(std::move(*query));
  return path;
}

std::vector<const nlohmann::json*> JsonPath::Select(const nlohmann::json& document) const {
  return Evaluator(document).Run(*query_, document);
}

bool JsonPath::IsSingular() const { return query_->IsSingular(); }

}  // namespace tributary::merge::extract
