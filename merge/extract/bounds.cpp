#include "merge/extract/bounds.hpp"

#include <string>

namespace tributary::merge::extract {
namespace {

using nlohmann::json;

// A SAX consumer for json::sax_parse that builds the document with nlohmann's own DOM builder
// and counts depth and values on the way (sax_parse takes any type with these members).
class BoundedSax {
 public:
  BoundedSax(json& result, const config::ExtractLimits& limits)
      : dom_(result, /*allow_exceptions=*/false), limits_(limits) {}

  bool null() { return Count() && dom_.null(); }
  bool boolean(bool v) { return Count() && dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return Count() && dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return Count() && dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) {
    return Count() && dom_.number_float(v, s);
  }
  bool string(json::string_t& v) { return Count() && dom_.string(v); }
  bool binary(json::binary_t& v) { return Count() && dom_.binary(v); }
  bool start_object(std::size_t n) { return Open() && dom_.start_object(n); }
  bool key(json::string_t& v) { return dom_.key(v); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return Open() && dom_.start_array(n); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string& token,
                   const nlohmann::detail::exception& ex) {
    if (!error_) error_ = Error::SourceBroken(std::string("invalid JSON: ") + ex.what());
    return dom_.parse_error(position, token, ex);
  }

  const std::optional<Error>& error() const { return error_; }

 private:
  bool Count() {
    if (++nodes_ <= limits_.max_nodes) return true;
    if (!error_) error_ = NodesError(limits_.max_nodes);
    return false;
  }
  bool Open() {
    if (!Count()) return false;
    if (++depth_ <= limits_.max_depth) return true;
    if (!error_) error_ = DepthError(limits_.max_depth);
    return false;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  const config::ExtractLimits& limits_;
  uint64_t depth_ = 0;
  uint64_t nodes_ = 0;
  std::optional<Error> error_;
};

}  // namespace

Error DepthError(uint64_t max_depth) {
  return Error::SourceBroken("document nested too deeply: more than " + std::to_string(max_depth) +
                             " levels (bounds.max_depth)");
}

Error NodesError(uint64_t max_nodes) {
  return Error::SourceBroken("document too large: more than " + std::to_string(max_nodes) +
                             " nodes (bounds.max_nodes)");
}

Status CheckTreeBounds(const xmlDoc* doc, const config::ExtractLimits& limits) {
  const xmlNode* root = xmlDocGetRootElement(const_cast<xmlDoc*>(doc));
  if (root == nullptr) return Status::Ok();
  uint64_t nodes = 0;
  uint64_t depth = 1;
  const xmlNode* node = root;
  while (node != nullptr) {
    if (++nodes > limits.max_nodes) return NodesError(limits.max_nodes);
    if (node->type == XML_ELEMENT_NODE && depth > limits.max_depth) {
      return DepthError(limits.max_depth);
    }
    // Depth-first: children (elements only carry any), then siblings, then up.
    if (node->type == XML_ELEMENT_NODE && node->children != nullptr) {
      node = node->children;
      ++depth;
      continue;
    }
    while (node != nullptr && node != root && node->next == nullptr) {
      node = node->parent;
      --depth;
    }
    if (node == nullptr || node == root) break;
    node = node->next;
  }
  return Status::Ok();
}

Result<nlohmann::json> ParseJsonBounded(std::string_view text,
                                        const config::ExtractLimits& limits) {
  json result;
  BoundedSax sax(result, limits);
  const bool ok = json::sax_parse(text.begin(), text.end(), &sax, json::input_format_t::json,
                                  /*strict=*/true, /*ignore_comments=*/false);
  if (!ok || sax.error()) {
    return sax.error() ? *sax.error() : Error::SourceBroken("invalid JSON");
  }
  return result;
}

}  // namespace tributary::merge::extract
