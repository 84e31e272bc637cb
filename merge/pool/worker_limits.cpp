#include "merge/pool/worker_limits.hpp"

#include <charconv>
#include <string_view>

namespace tributary::merge::pool {
namespace {

constexpr std::string_view kMaxMemory = "--max-memory=";
constexpr std::string_view kCpuPerJob = "--cpu-per-job=";
constexpr std::string_view kMaxOpenFiles = "--max-open-files=";

template <class T>
bool ParseNumber(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::vector<std::string> WorkerLimitArgs(const WorkerLimits& limits) {
  return {std::string(kMaxMemory) + std::to_string(limits.address_space),
          std::string(kCpuPerJob) + std::to_string(limits.cpu_seconds_per_job),
          std::string(kMaxOpenFiles) + std::to_string(limits.max_open_files)};
}

Result<WorkerLimits> ParseWorkerLimitArgs(const std::vector<std::string>& args) {
  WorkerLimits limits;
  for (const std::string& arg : args) {
    const std::string_view a = arg;
    bool ok = true;
    if (a.starts_with(kMaxMemory)) {
      ok = ParseNumber(a.substr(kMaxMemory.size()), limits.address_space);
    } else if (a.starts_with(kCpuPerJob)) {
      ok = ParseNumber(a.substr(kCpuPerJob.size()), limits.cpu_seconds_per_job) &&
           limits.cpu_seconds_per_job >= 0;
    } else if (a.starts_with(kMaxOpenFiles)) {
      ok = ParseNumber(a.substr(kMaxOpenFiles.size()), limits.max_open_files) &&
           limits.max_open_files >= 0;
    }
    if (!ok) return Error::Permanent("worker: invalid limit argument \"" + arg + "\"");
  }
  return limits;
}

}  // namespace tributary::merge::pool
