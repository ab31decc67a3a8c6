// tusk-instance: PID 1 of every Postgres pod.
#include <iostream>

#include "common/base/cli.h"

namespace {
constexpr char kUsage[] = R"(Usage: tusk-instance <command> [flags]

The Tusk instance manager: runs as PID 1 in a Postgres pod, supervises
postgres, configures replication and reports health over gRPC.

Commands (coming with the instance manager): init, join, run, status,
restore, wal-archive, wal-restore.
)";
}  // namespace

int main(int argc, char** argv) {
  if (auto rc = tusk::HandleStandardFlags("tusk-instance", kUsage, argc, argv)) return *rc;
  std::cerr << "tusk-instance: no commands are built yet (see --help)\n";
  return 2;
}
