// tusk-instance: PID 1 of every Postgres pod. Parses the command and hands
// over to it; everything else lives in the library.
#include <iostream>

#include "common/base/cli.h"
#include "instance-manager/commands.h"

int main(int argc, char** argv) {
  const std::string usage = tusk::instance::Usage();
  if (auto rc = tusk::HandleStandardFlags("tusk-instance", usage, argc, argv)) return *rc;
  if (argc < 2) {
    std::cerr << usage;
    return 2;
  }
  const std::string name = argv[1];
  for (const auto& c : tusk::instance::Commands()) {
    if (name == c.name) return c.run(std::vector<std::string>(argv + 2, argv + argc));
  }
  std::cerr << "tusk-instance: unknown command \"" << name << "\" (see --help)\n";
  return 2;
}
