#include "merge/extract/json_selector.hpp"

namespace tributary::merge::extract {

Result<JsonSelector> JsonSelector::Compile(std::string_view text, bool bare_names) {
  JsonSelector selector;
  selector.text_ = std::string(text);
  if (text.starts_with("$")) {
    auto path = JsonPath::Parse(text);
    if (!path) return path.error();
    selector.path_.emplace(std::move(*path));
  } else if (text.empty() || text.starts_with("/") || !bare_names) {
    auto pointer = JsonPointer::Parse(text);
    if (!pointer) {
      return Error::SourceBroken(pointer.error().message +
                                 " (or use a JSONPath query starting with \"$\")");
    }
    selector.pointer_.emplace(std::move(*pointer));
  } else {
    selector.name_ = std::string(text);
  }
  return selector;
}

std::vector<const nlohmann::json*> JsonSelector::Select(const nlohmann::json& document) const {
  if (path_) return path_->Select(document);
  if (pointer_) {
    const nlohmann::json* value = pointer_->Resolve(document);
    if (value == nullptr) return {};
    return {value};
  }
  if (!document.is_object()) return {};
  const auto it = document.find(name_);
  if (it == document.end()) return {};
  return {&*it};
}

std::vector<const nlohmann::json*> JsonSelector::SelectFlattened(
    const nlohmann::json& document) const {
  auto nodes = Select(document);
  const bool singular = !path_ || path_->IsSingular();
  if (singular && nodes.size() == 1 && nodes[0]->is_array()) {
    std::vector<const nlohmann::json*> elements;
    for (const auto& element : *nodes[0]) elements.push_back(&element);
    return elements;
  }
  return nodes;
}

}  // namespace tributary::merge::extract
