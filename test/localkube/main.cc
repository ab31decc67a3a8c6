// localkube: the small Kubernetes Tusk's tests and demo run on.
#include <cstdlib>
#include <cstring>
#include <optional>
#include <iostream>
#include <string>
#include <vector>

#include "common/base/cli.h"
#include "test/localkube/daemon.h"
#include "test/localkube/fault_cli.h"

namespace {
constexpr char kUsage[] = R"(Usage: localkube <command> --dir DIR [flags]

A small Kubernetes for Tusk's tests and demo: an API server that kubectl and
client libraries trust (HTTPS, tokens, RBAC, CRDs, watches, patches, garbage
collection), with state journaled under DIR, and virtual nodes whose kubelets
run pods as namespaced processes on a private pod network (needs root).

Commands:
  start   run in the background; returns once the API answers and
          DIR/kubeconfig is written
  stop    stop the cluster started on DIR (idempotent); also removes what a
          crashed run left (processes, network namespaces, interfaces)
  serve   run in the foreground until SIGTERM
  fault   inject a fault into the running cluster (`localkube fault --help`)

Flags:
  --dir DIR                 state, certificates, kubeconfig and logs (required)
  --port N                  API port on 127.0.0.1 (default: previous, else any free)
  --apiserver-only          run the API server without kubelets (no root needed)
  --nodes N                 number of virtual nodes (default 3)
  --node-monitor-grace SECS a node without heartbeats goes NotReady after this (default 40)
  --watch-history N         changes kept for watches (default 10000)
  --bookmark-interval SECS  seconds between watch bookmarks (default 30)
  --token-max-expiration SECS
                            service-account tokens live at most this long;
                            longer requests are shortened, so a short value
                            makes kubelets refresh pods' tokens (default: none)
  --token-min-expiration SECS
                            shorter token requests are refused (default 600)
)";

bool TakeValue(int argc, char** argv, int& i, const char* flag, std::string* out) {
  std::string a = argv[i];
  std::string f = flag;
  if (a == f && i + 1 < argc) {
    *out = argv[++i];
    return true;
  }
  if (a.rfind(f + "=", 0) == 0) {
    *out = a.substr(f.size() + 1);
    return true;
  }
  return false;
}

// A whole number of at least `min`, or nullopt.
std::optional<long> WholeNumber(const std::string& v, long min) {
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < min) return std::nullopt;
  return n;
}
}  // namespace

int main(int argc, char** argv) {
  if (auto rc = tusk::HandleStandardFlags("localkube", kUsage, argc, argv)) return *rc;
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  std::string command = argv[1];
  if (command == "fault") return tusk::localkube::RunFault(std::vector<std::string>(argv + 2, argv + argc));
  tusk::localkube::ClusterOptions o;
  for (int i = 2; i < argc; ++i) {
    std::string v;
    std::optional<long> n;
    auto number = [&](const char* flag, long min = 1) {
      if (TakeValue(argc, argv, i, flag, &v)) {
        n = WholeNumber(v, min);
        if (!n) {
          std::cerr << "localkube: " << flag << " needs a whole number of at least " << min << ", got \"" << v
                    << "\"\n";
          std::exit(2);
        }
        return true;
      }
      return false;
    };
    if (TakeValue(argc, argv, i, "--dir", &v)) {
      o.dir = v;
    } else if (number("--port", 0)) {
      o.port = static_cast<int>(*n);
    } else if (number("--nodes")) {
      o.nodes = static_cast<int>(*n);
    } else if (number("--node-monitor-grace")) {
      o.node_monitor_grace = std::chrono::seconds(*n);
    } else if (number("--watch-history")) {
      o.watch_history = static_cast<size_t>(*n);
    } else if (number("--bookmark-interval")) {
      o.bookmark_interval = std::chrono::seconds(*n);
    } else if (number("--token-max-expiration")) {
      o.token_max_seconds = *n;
    } else if (number("--token-min-expiration")) {
      o.token_min_seconds = *n;
    } else if (std::strcmp(argv[i], "--apiserver-only") == 0) {
      o.apiserver_only = true;
    } else {
      std::cerr << "localkube: unknown flag " << argv[i] << "\n";
      return 2;
    }
  }
  if (o.dir.empty()) {
    std::cerr << "localkube: --dir is required\n";
    return 2;
  }
  if (command == "start") return tusk::localkube::Start(o);
  if (command == "stop") return tusk::localkube::Stop(o.dir);
  if (command == "serve") return tusk::localkube::Serve(o);
  std::cerr << "localkube: unknown command " << command << " (see --help)\n";
  return 2;
}
