// A directory of files replaced as a whole, the way the kubelet updates
// Secret and ConfigMap volumes: the files live in a timestamped hidden
// directory, `..data` is a symlink to it, and each visible name is a symlink
// through `..data`. One rename of `..data` switches every file at once, so a
// reader never sees half an update.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/base/status.h"

namespace tusk::localkube {

struct ProjectedFile {
  std::string path;  // relative, may contain '/'
  std::string data;
  mode_t mode = 0644;
};

// Makes `dir` hold exactly `files`. Files are owned by root and, with
// `group`, by that group with group read added (fsGroup). Does nothing when
// the current content is already `files`. Returns whether it changed.
StatusOr<bool> WriteAtomicDir(const std::string& dir, const std::vector<ProjectedFile>& files,
                              std::optional<gid_t> group);

}  // namespace tusk::localkube
