// tusk-instance's subcommands as a table: adding one (wal-archive,
// wal-restore, restore...) is one line in commands.cc.
#pragma once

#include <string>
#include <vector>

namespace tusk::instance {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
};

const std::vector<Command>& Commands();
std::string Usage();

}  // namespace tusk::instance
