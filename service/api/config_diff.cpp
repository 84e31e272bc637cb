#include "service/api/config_diff.hpp"

namespace tributary::service::api {
namespace {

using nlohmann::json;

template <class T>
json Compare(const std::vector<T>& before, const std::vector<T>& after) {
  json added = json::array();
  json removed = json::array();
  json changed = json::array();
  size_t unchanged = 0;
  for (const auto& a : after) {
    const T* old = nullptr;
    for (const auto& b : before) {
      if (b.id == a.id) old = &b;
    }
    if (old == nullptr) {
      added.push_back(a.id);
    } else if (!(*old == a)) {
      changed.push_back(a.id);
    } else {
      ++unchanged;
    }
  }
  for (const auto& b : before) {
    bool kept = false;
    for (const auto& a : after) kept = kept || a.id == b.id;
    if (!kept) removed.push_back(b.id);
  }
  return {{"added", added}, {"removed", removed}, {"changed", changed}, {"unchanged", unchanged}};
}

}  // namespace

json DescribeConfigChanges(const config::Config& before, const config::Config& after) {
  json settings = json::array();
  if (!(before.listen == after.listen)) settings.push_back("listen (needs a restart)");
  if (before.data_dir != after.data_dir) settings.push_back("data_dir (needs a restart)");
  if (!(before.fetch == after.fetch)) settings.push_back("fetch");
  if (!(before.workers == after.workers)) settings.push_back("workers");
  if (!(before.log == after.log)) settings.push_back("log");
  if (!(before.api == after.api)) settings.push_back("api");
  if (!(before.webhooks == after.webhooks)) settings.push_back("webhooks");
  return {{"sources", Compare(before.sources, after.sources)},
          {"views", Compare(before.views, after.views)},
          {"settings", settings}};
}

}  // namespace tributary::service::api
