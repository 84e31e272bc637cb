// tributary_test_origin_main --dir D [--port P] [--address A]: serves directory D over HTTP on
// A:P (127.0.0.1 and an ephemeral port by default) until SIGINT or SIGTERM. Prints
// "listening on 127.0.0.1:PORT" once it accepts connections, for scripts to wait on.

#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include "tests/support/origin.hpp"

namespace {

int Usage() {
  std::cerr << "usage: tributary_test_origin_main --dir DIR [--port PORT] [--address ADDR]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  std::string address = "127.0.0.1";
  long port = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return Usage();
    if (arg == "--dir") {
      dir = argv[++i];
    } else if (arg == "--port") {
      char* end = nullptr;
      port = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || port < 0 || port > 65535) return Usage();
    } else if (arg == "--address") {
      address = argv[++i];
    } else {
      return Usage();
    }
  }
  if (dir.empty()) return Usage();

  // Blocked before any thread starts, so that only sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    tributary::test_support::TestOrigin origin(static_cast<uint16_t>(port), address);
    origin.ServeDirectory("/", dir);
    std::cout << "listening on " << origin.address() << ":" << origin.port() << std::endl;
    int received = 0;
    sigwait(&signals, &received);
    origin.Stop();
  } catch (const std::exception& e) {
    std::cerr << "tributary_test_origin_main: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
