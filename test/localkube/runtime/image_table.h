// Images without a registry: an image reference maps to directories of host
// programs put first on the container's PATH, plus the users the image would
// ship in its /etc/passwd (PostgreSQL images run as uid 26 "postgres").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/base/status.h"

namespace tusk::localkube {

struct ImageUser {
  std::string name;
  int64_t uid = 0;
  int64_t gid = 0;
};

struct ImageEntry {
  std::string pattern;            // fnmatch glob over the full reference
  std::vector<std::string> dirs;  // empty: the host's own tools only
  std::vector<ImageUser> users;
};

struct ImageTable {
  std::vector<ImageEntry> entries;
};

// Parses the table text: one entry a line, `PATTERN DIRS [user=NAME:UID:GID]...`,
// where DIRS is `host` or `dir[:dir...]`; `${BUILD}` in a dir becomes
// `build_dir`; '#' starts a comment.
StatusOr<ImageTable> ParseImageTable(const std::string& text, const std::string& build_dir);

// The first entry whose pattern matches `image`, or NotFound with the message
// a pod's ErrImagePull status carries.
StatusOr<ImageEntry> ResolveImage(const ImageTable& table, const std::string& image);

// The PATH a container of this image sees: the image's dirs, then the host's.
std::string ImagePath(const ImageEntry& entry);

}  // namespace tusk::localkube
