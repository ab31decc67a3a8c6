#include "common/base/cli.h"

#include <charconv>
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

StatusOr<int> ParseIntFlag(std::string_view flag, std::string_view value) {
  int out = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || end != value.data() + value.size()) {
    return InvalidArgumentError("--" + std::string(flag) + ": not a number: \"" + std::string(value) + "\"");
  }
  return out;
}

StatusOr<HostPort> ParseHostPortFlag(std::string_view flag, std::string_view value) {
  auto colon = value.rfind(':');
  if (colon == std::string_view::npos) {
    return InvalidArgumentError("--" + std::string(flag) + ": expected HOST:PORT, got " + std::string(value));
  }
  HostPort hp;
  hp.host = std::string(value.substr(0, colon));
  ASSIGN_OR_RETURN(hp.port, ParseIntFlag(flag, value.substr(colon + 1)));
  return hp;
}

}  // namespace tusk
