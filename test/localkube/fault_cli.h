// `localkube fault …`: the command line turned into a control request
// (pure, unit-tested) and sent to the daemon running on DIR.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/status.h"

namespace tusk::localkube {

struct FaultCommand {
  std::string dir;
  nlohmann::json request;  // {"op": "kill"|"partition"|"heal"|"node-down", ...}
};

// `args` are the words after `fault`, e.g. {"kill", "--dir", "D", "pg-1",
// "-n", "db", "--signal", "TERM"}. InvalidArgument names the mistake.
StatusOr<FaultCommand> ParseFaultArgs(const std::vector<std::string>& args);

// Runs `localkube fault …`; returns the exit code (0 ok, 1 failed, 2 usage).
int RunFault(const std::vector<std::string>& args);

extern const char kFaultUsage[];

}  // namespace tusk::localkube
