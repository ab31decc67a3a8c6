// The flags every Tusk binary answers the same way: --version and --help.
#pragma once

#include <optional>
#include <string_view>

namespace tusk {

// Prints "<program> <version>" for --version, or `usage` for --help/-h, when
// either is the first argument, and returns the exit code to use. Returns
// nullopt when neither was asked for.
std::optional<int> HandleStandardFlags(std::string_view program, std::string_view usage, int argc,
                                       char** argv);

}  // namespace tusk
