// tusk-operator: decides the topology of every Cluster and performs failover.
#include <iostream>
#include <vector>

#include "common/base/cli.h"
#include "operator/operator.h"

namespace {
std::string Usage() {
  return std::string(R"(Usage: tusk-operator [FLAGS]
       tusk-operator bootstrap DIR

The Tusk operator: reconciles postgresql.cnpg.io Clusters on Kubernetes.
`bootstrap DIR` copies tusk-instance into DIR (the instance pods' shared
volume) and exits; it is the pods' first init container.

)") + tusk::op::kOperatorFlagsHelp;
}
}  // namespace

int main(int argc, char** argv) {
  const std::string usage = Usage();
  if (auto rc = tusk::HandleStandardFlags("tusk-operator", usage, argc, argv)) return *rc;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "bootstrap") {
    if (args.size() != 2) {
      std::cerr << "Usage: tusk-operator bootstrap DIR\n";
      return 2;
    }
    tusk::Status st = tusk::op::BootstrapController(args[1], "/proc/self/exe");
    if (!st.ok()) {
      std::cerr << "tusk-operator: " << st.message() << "\n";
      return 1;
    }
    return 0;
  }
  auto options = tusk::op::ParseOperatorOptions(args);
  if (!options.ok()) {
    std::cerr << "tusk-operator: " << options.status().message() << "\n";
    return 2;
  }
  return tusk::op::RunOperator(*options);
}
