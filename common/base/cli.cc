#include "common/base/cli.h"

#include <iostream>
#include <string>

#include "common/base/version.h"

namespace tusk {

std::optional<int> HandleStandardFlags(std::string_view program, std::string_view usage, int argc,
                                       char** argv) {
  if (argc < 2) return std::nullopt;
  std::string first = argv[1];
  if (first == "--version" || first == "version") {
    std::cout << program << " " << Version() << "\n";
    return 0;
  }
  if (first == "--help" || first == "-h" || first == "help") {
    std::cout << usage;
    return 0;
  }
  return std::nullopt;
}

}  // namespace tusk
