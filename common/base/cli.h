// The flags every Tusk binary answers the same way: --version and --help.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/base/status.h"

namespace tusk {

// Prints "<program> <version>" for --version, or `usage` for --help/-h, when
// either is the first argument, and returns the exit code to use. Returns
// nullopt when neither was asked for.
std::optional<int> HandleStandardFlags(std::string_view program, std::string_view usage, int argc,
                                       char** argv);

struct HostPort {
  std::string host;
  int port = 5432;
};

// A flag's whole value as a decimal int; the error names --flag.
StatusOr<int> ParseIntFlag(std::string_view flag, std::string_view value);
// A flag's "HOST:PORT" (the last colon splits); the error names --flag.
StatusOr<HostPort> ParseHostPortFlag(std::string_view flag, std::string_view value);

}  // namespace tusk
