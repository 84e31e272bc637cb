#pragma once
// The syntax tree of an RFC 9535 JSONPath query, built by json_path_parser.cpp (which checks
// well-formedness and the function type rules of section 2.4.3) and walked by json_path.cpp.
// Internal to JsonPath. Thread safety: immutable after parsing.

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tributary::merge::extract::jsonpath {

struct Expr;

struct Selector {
  enum class Kind { kName, kWildcard, kIndex, kSlice, kFilter };
  Kind kind = Kind::kName;
  std::string name;                         // kName
  int64_t index = 0;                        // kIndex
  std::optional<int64_t> start, end, step;  // kSlice
  std::shared_ptr<const Expr> filter;       // kFilter
};

struct Segment {
  bool descendant = false;  // ".." segments apply to the node and all its descendants
  std::vector<Selector> selectors;
};

struct Query {
  bool absolute = true;  // "$..." (root) or "@..." (current node, inside filters)
  std::vector<Segment> segments;

  // Only single name or index selectors, no descendants (section 2.3.5.1).
  bool IsSingular() const {
    for (const auto& s : segments) {
      if (s.descendant || s.selectors.size() != 1) return false;
      const auto kind = s.selectors[0].kind;
      if (kind != Selector::Kind::kName && kind != Selector::Kind::kIndex) return false;
    }
    return true;
  }
};

enum class Type { kValue, kLogical, kNodes };
enum class Function { kLength, kCount, kMatch, kSearch, kValue };
enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };

struct Expr {
  enum class Kind { kOr, kAnd, kNot, kCompare, kLiteral, kQuery, kFunction };
  Kind kind = Kind::kLiteral;
  std::vector<std::shared_ptr<const Expr>> children;  // operands / function arguments
  CompareOp op = CompareOp::kEq;                      // kCompare
  nlohmann::json literal;                             // kLiteral
  Query query;                                        // kQuery
  Function function = Function::kLength;              // kFunction
  Type result = Type::kValue;                         // kFunction: its declared result

  // What the expression gives when evaluated (queries give nodes).
  Type type() const {
    switch (kind) {
      case Kind::kLiteral:
        return Type::kValue;
      case Kind::kQuery:
        return Type::kNodes;
      case Kind::kFunction:
        return result;
      default:
        return Type::kLogical;
    }
  }
};

}  // namespace tributary::merge::extract::jsonpath
