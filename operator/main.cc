// tusk-operator: decides the topology of every Cluster and performs failover.
#include <iostream>

#include "common/base/cli.h"

namespace {
constexpr char kUsage[] = R"(Usage: tusk-operator [--version | --help]

The Tusk operator: reconciles postgresql.cnpg.io Clusters on Kubernetes.
The controllers are not built yet; this binary only reports its version.
)";
}  // namespace

int main(int argc, char** argv) {
  if (auto rc = tusk::HandleStandardFlags("tusk-operator", kUsage, argc, argv)) return *rc;
  std::cerr << "tusk-operator: the controllers are not built yet (see --help)\n";
  return 2;
}
