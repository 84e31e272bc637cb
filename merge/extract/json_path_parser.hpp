#pragma once
// Parses RFC 9535 JSONPath text into a jsonpath::Query (json_path_ast.hpp), enforcing the
// grammar (section 2 and appendix A), the I-JSON integer range of indices and slices, and the
// well-typedness of function expressions (section 2.4.3). Thread safety: pure function.

#include <string_view>

#include "common/result.hpp"
#include "merge/extract/json_path_ast.hpp"

namespace tributary::merge::extract::jsonpath {

// Errors are kSourceBroken: `JSONPath: <why> at position <1-based> in "<text>"`.
Result<Query> ParseQuery(std::string_view text);

}  // namespace tributary::merge::extract::jsonpath
