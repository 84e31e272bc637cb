#include "merge/pool/worker_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstring>

extern char** environ;

namespace tributary::merge::pool {

Result<SpawnedProcess> SpawnWorkerProcess(const std::string& exe,
                                          const std::vector<std::string>& args, int region_fd) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return Error::Retryable(std::string("socketpair: ") + std::strerror(errno));
  }
  int child_fd = sv[1];
  // The first dup2 (onto 3) must not overwrite the source of the second (onto 4), and a
  // descriptor already on its target number would keep FD_CLOEXEC with glibc before 2.29:
  // both sources are moved off 3 and 4.
  if (child_fd == 3 || child_fd == 4) {
    child_fd = ::fcntl(sv[1], F_DUPFD_CLOEXEC, 5);
    ::close(sv[1]);
    if (child_fd < 0) {
      ::close(sv[0]);
      return Error::Retryable(std::string("fcntl: ") + std::strerror(errno));
    }
  }
  int region_copy = -1;  // region_fd moved off 3 and 4, closed after the spawn
  if (region_fd == 3 || region_fd == 4) {
    region_copy = ::fcntl(region_fd, F_DUPFD_CLOEXEC, 5);
    if (region_copy < 0) {
      ::close(sv[0]);
      ::close(child_fd);
      return Error::Retryable(std::string("fcntl: ") + std::strerror(errno));
    }
    region_fd = region_copy;
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, child_fd, 3);
  if (region_fd >= 0) posix_spawn_file_actions_adddup2(&actions, region_fd, kBodyRegionFd);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGUSR1, SIGUSR2, SIGXCPU, SIGXFSZ}) {
    sigaddset(&defaults, sig);
  }
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> storage;
  storage.push_back(exe);
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);

  std::vector<char*> envp;
  bool has_tunables = false;
  for (char** e = environ; *e != nullptr; ++e) {
    has_tunables = has_tunables || std::strncmp(*e, "GLIBC_TUNABLES=", 15) == 0;
    envp.push_back(*e);
  }
  std::string tunables = std::string("GLIBC_TUNABLES=") + kWorkerMallocTunables;
  if (!has_tunables) envp.push_back(tunables.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, exe.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(child_fd);
  if (region_copy >= 0) ::close(region_copy);
  if (rc != 0) {
    ::close(sv[0]);
    return Error::Retryable("posix_spawn " + exe + ": " + std::strerror(rc));
  }
  return SpawnedProcess{pid, sv[0]};
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::strsignal(sig);
    return "killed by signal " + std::to_string(sig) + (name ? std::string(" (") + name + ")" : "");
  }
  return "stopped (status " + std::to_string(status) + ")";
}

WorkerLoss ClassifyWaitStatus(int status, bool killed_by_pool, const WorkerLimits& limits) {
  const std::string described = DescribeWaitStatus(status);
  if (WIFEXITED(status) && WEXITSTATUS(status) == kWorkerExitOutOfMemory) {
    return {FailureCause::kOutOfMemory,
            limits.address_space > 0
                ? "ran out of memory (limit " + std::to_string(limits.address_space >> 20) + " MiB)"
                : "ran out of memory"};
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == kWorkerExitProtocol) {
    return {FailureCause::kProtocol, "rejected a corrupt request (" + described + ")"};
  }
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU) {
    return {FailureCause::kTimeout, "exceeded its CPU time limit of " +
                                        std::to_string(limits.cpu_seconds_per_job) + " s (" +
                                        described + ")"};
  }
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && !killed_by_pool) {
    return {FailureCause::kOutOfMemory,
            described + ", presumably by the kernel's out-of-memory killer"};
  }
  return {FailureCause::kCrash, described};
}

std::string SelfExecutablePath() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "/proc/self/exe";
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace tributary::merge::pool
