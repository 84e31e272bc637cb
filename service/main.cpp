// The tributary binary: parses the command line and wires the pieces; decides nothing.
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "config/loader.hpp"
#include "merge/pool/frame.hpp"
#include "merge/worker/jobs.hpp"
#include "merge/worker/worker_loop.hpp"
#include "service/app.hpp"
#include "service/component_options.hpp"
#include "service/healthcheck.hpp"
#include "service/memory_trimmer.hpp"
#include "service/run_once.hpp"

namespace {

using namespace tributary;

// Exit statuses: 2 is a configuration error, which a supervisor should not restart blindly.
constexpr int kExitConfig = 2;
constexpr int kExitUsage = 64;

const char kUsage[] =
    "usage: tributary <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve --config FILE        run the daemon\n"
    "  check-config FILE          validate a configuration; print every error with its path\n"
    "  run-once --config FILE     fetch every source once, print every view as JSON, exit\n"
    "  healthcheck --config FILE  exit 0 when the daemon of that configuration is healthy\n"
    "  worker                     (internal) a worker process, started by the daemon\n"
    "  version                    print the version\n";

// Loads and validates (including selectors); prints errors; nullopt on failure.
std::optional<config::Config> Load(const std::string& path) {
  auto loaded = config::LoadConfigFile(path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
    std::fprintf(stderr, "%s: %zu error%s\n", path.c_str(), loaded.errors.size(),
                 loaded.errors.size() == 1 ? "" : "s");
    return std::nullopt;
  }
  const auto extraction = service::ValidateExtraction(*loaded.config);
  if (!extraction.empty()) {
    for (const auto& e : extraction) std::fprintf(stderr, "%s\n", e.c_str());
    std::fprintf(stderr, "%s: %zu error%s\n", path.c_str(), extraction.size(),
                 extraction.size() == 1 ? "" : "s");
    return std::nullopt;
  }
  return std::move(*loaded.config);
}

// Finds "--config FILE" (or a lone FILE) in args.
std::optional<std::string> ConfigArg(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) return args[i + 1];
    if (args[i].rfind("--config=", 0) == 0) return args[i].substr(9);
  }
  if (args.size() == 1 && args[0].rfind("--", 0) != 0) return args[0];
  return std::nullopt;
}

int Serve(const std::string& path) {
  service::MemoryTrimmer::LimitArenas();  // before any thread allocates
  auto cfg = Load(path);
  if (!cfg) return kExitConfig;
  if (!SetupLogging({cfg->log.level, cfg->log.json})) return kExitConfig;
  ::signal(SIGPIPE, SIG_IGN);

  boost::asio::io_context main_io;
  boost::asio::signal_set signals(main_io, SIGINT, SIGTERM, SIGHUP);
  service::App app(std::make_shared<const config::Config>(std::move(*cfg)), path);
  if (auto started = app.Start(); !started) {
    Logger("main")->critical("cannot start: {}", started.error().message);
    app.Stop();
    return started.error().error_class == ErrorClass::kPermanent ? kExitConfig : 1;
  }
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP) {
          Logger("main")->info("SIGHUP: reloading {}", path);
          app.Reload();
          signals.async_wait(on_signal);
          return;
        }
        Logger("main")->info("{}: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        app.Stop();
        main_io.stop();
      };
  signals.async_wait(on_signal);
  main_io.run();
  return 0;
}

int Worker(const std::vector<std::string>& args) {
  LogOptions log;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--log-level" && i + 1 < args.size()) log.level = args[++i];
    if (args[i] == "--log-json") log.json = true;
  }
  SetupLogging(log);
  return merge::worker::RunWorkerProcess(args, merge::worker::HandleJob);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "worker") return Worker(args);
  if (command == "version" || command == "--version") {
    std::printf("tributary %s\n", TRIBUTARY_VERSION);
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  static const std::set<std::string> kWithConfig = {"check-config", "serve", "run-once",
                                                    "healthcheck"};
  if (!kWithConfig.count(command)) {
    std::fprintf(stderr, "unknown command \"%s\"\n\n%s", command.c_str(), kUsage);
    return kExitUsage;
  }
  const auto path = ConfigArg(args);
  if (!path) {
    std::fprintf(stderr, "tributary %s: missing --config FILE\n\n%s", command.c_str(), kUsage);
    return kExitUsage;
  }
  if (command == "check-config") {
    if (!Load(*path)) return kExitConfig;
    std::printf("%s: ok\n", path->c_str());
    return 0;
  }
  if (command == "serve") return Serve(*path);
  if (command == "run-once") {
    auto cfg = Load(*path);
    if (!cfg) return kExitConfig;
    SetupLogging({cfg->log.level, cfg->log.json});
    ::signal(SIGPIPE, SIG_IGN);
    return service::RunOnce(*cfg);
  }
  if (command == "healthcheck") {
    auto loaded = config::LoadConfigFile(*path);
    if (!loaded.config) {
      for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
      return kExitConfig;
    }
    return service::RunHealthcheck(loaded.config->listen);
  }
  std::fprintf(stderr, "unknown command \"%s\"\n\n%s", command.c_str(), kUsage);
  return kExitUsage;
}
