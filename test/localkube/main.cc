// localkube: the small Kubernetes Tusk's tests and demo run on.
#include <iostream>

#include "common/base/cli.h"

namespace {
constexpr char kUsage[] = R"(Usage: localkube <command> --dir DIR [flags]

A small Kubernetes for Tusk's tests and demo: an API server, kubelets that
run pods as processes in their own namespaces, and the controllers the
operator relies on.

Commands (coming with localkube): start, stop, serve, fault.
)";
}  // namespace

int main(int argc, char** argv) {
  if (auto rc = tusk::HandleStandardFlags("localkube", kUsage, argc, argv)) return *rc;
  std::cerr << "localkube: no commands are built yet (see --help)\n";
  return 2;
}
