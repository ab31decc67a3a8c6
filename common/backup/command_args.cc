#include "common/backup/command_args.h"

#include <algorithm>
#include <cstdlib>

namespace tusk::backup {

std::string CommandArgs::Get(const std::string& flag, const char* env_var, const std::string& fallback) const {
  auto it = flags.find(flag);
  if (it != flags.end()) return it->second;
  if (env_var != nullptr) {
    if (const char* v = std::getenv(env_var); v != nullptr && *v != '\0') return v;
  }
  return fallback;
}

StatusOr<CommandArgs> ParseCommandArgs(const std::vector<std::string>& args, const std::vector<std::string>& known) {
  CommandArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 3 || a.compare(0, 2, "--") != 0) {
      out.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    auto eq = name.find('=');
    bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return InvalidArgumentError("unknown flag --" + name);
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) return InvalidArgumentError("flag --" + name + " needs a value");
      value = args[++i];
    }
    out.flags[name] = value;
  }
  return out;
}

}  // namespace tusk::backup
