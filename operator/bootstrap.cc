#include <sys/stat.h>

#include <filesystem>
#include <system_error>

#include "operator/operator.h"
#include "operator/specs/specs.h"

namespace tusk::op {

Status BootstrapController(const std::string& dir, const std::string& self_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  // self_path may be /proc/self/exe: the directory is the link's target's.
  const fs::path from = fs::canonical(self_path, ec).parent_path();
  if (ec) return InternalError("bootstrap: cannot resolve " + self_path + ": " + ec.message());
  const fs::path to(dir);
  if (!fs::is_directory(to, ec)) return NotFoundError("bootstrap: " + dir + " is not a directory (the shared volume)");
  // tusk-instance is required; the WAL hand-off helper ships beside it when built.
  for (const char* binary : {"tusk-instance", "tusk-wal-archive"}) {
    const fs::path src = from / binary;
    if (!fs::exists(src, ec)) {
      if (std::string(binary) == "tusk-instance") {
        return NotFoundError("bootstrap: " + src.string() + " not found beside tusk-operator");
      }
      continue;
    }
    // Copy to a temporary name and rename, so a restarted init container
    // never leaves a half-written binary under the final name.
    const fs::path tmp = to / (std::string(".") + binary + ".tmp");
    fs::copy_file(src, tmp, fs::copy_options::overwrite_existing, ec);
    if (ec) return InternalError("bootstrap: copying " + src.string() + ": " + ec.message());
    fs::permissions(tmp, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec, ec);
    fs::rename(tmp, to / binary, ec);
    if (ec) return InternalError(std::string("bootstrap: installing ") + binary + ": " + ec.message());
  }
  // The socket, log, scratch and certificate directories tusk-instance and
  // postgres use: the pod's root filesystem is read-only.
  for (const char* sub : {"run", "log", "tmp", "certificates"}) {
    fs::create_directories(to / sub, ec);
    if (ec) return InternalError("bootstrap: creating " + (to / sub).string() + ": " + ec.message());
    ::chmod((to / sub).c_str(), sub == std::string("certificates") ? 0700 : 0750);
  }
  return OkStatus();
}

}  // namespace tusk::op
