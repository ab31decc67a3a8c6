// Flag parsing shared by the backup subcommands: "--name value" or
// "--name=value", the rest positional. Each flag falls back to an
// environment variable, so postgres' archive_command line stays short.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/base/status.h"

namespace tusk::backup {

struct CommandArgs {
  std::map<std::string, std::string> flags;
  std::vector<std::string> positional;

  // The flag, else the environment variable, else `fallback`.
  std::string Get(const std::string& flag, const char* env_var, const std::string& fallback = "") const;
  bool Has(const std::string& flag) const { return flags.count(flag) > 0; }
};

// `known` lists the flags that take a value; anything else starting with
// "--" is an error.
StatusOr<CommandArgs> ParseCommandArgs(const std::vector<std::string>& args, const std::vector<std::string>& known);

}  // namespace tusk::backup
