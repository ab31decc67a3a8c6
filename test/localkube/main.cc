// localkube: the small Kubernetes Tusk's tests and demo run on.
#include <cstring>
#include <iostream>
#include <string>

#include "common/base/cli.h"
#include "test/localkube/daemon.h"

namespace {
constexpr char kUsage[] = R"(Usage: localkube <command> --dir DIR [flags]

A small Kubernetes for Tusk's tests and demo: an API server that kubectl and
client libraries trust (HTTPS, tokens, RBAC, CRDs, watches, patches, garbage
collection), with state journaled under DIR.

Commands:
  start   run in the background; returns once the API answers and
          DIR/kubeconfig is written
  stop    stop the cluster started on DIR (idempotent)
  serve   run in the foreground until SIGTERM

Flags:
  --dir DIR                 state, certificates, kubeconfig and logs (required)
  --port N                  API port on 127.0.0.1 (default: previous, else any free)
  --apiserver-only          run the API server without kubelets
  --nodes N                 number of virtual nodes (default 1)
  --watch-history N         changes kept for watches (default 10000)
  --bookmark-interval SECS  seconds between watch bookmarks (default 30)
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
}  // namespace

int main(int argc, char** argv) {
  if (auto rc = tusk::HandleStandardFlags("localkube", kUsage, argc, argv)) return *rc;
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  std::string command = argv[1];
  tusk::localkube::ClusterOptions o;
  for (int i = 2; i < argc; ++i) {
    std::string v;
    if (TakeValue(argc, argv, i, "--dir", &v)) {
      o.dir = v;
    } else if (TakeValue(argc, argv, i, "--port", &v)) {
      o.port = std::stoi(v);
    } else if (TakeValue(argc, argv, i, "--nodes", &v)) {
      o.nodes = std::stoi(v);
    } else if (TakeValue(argc, argv, i, "--watch-history", &v)) {
      o.watch_history = std::stoul(v);
    } else if (TakeValue(argc, argv, i, "--bookmark-interval", &v)) {
      o.bookmark_interval = std::chrono::seconds(std::stol(v));
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
