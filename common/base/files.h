// File helpers with the durability PostgreSQL operators need: a crash at any
// point leaves either the old or the new content of a file, never a mix.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/base/status.h"

namespace tusk {

StatusOr<std::string> ReadFile(const std::string& path);

// Writes `data` to a temporary file beside `path`, fsyncs it, renames it over
// `path` and fsyncs the directory, so the new content is durable and a crash
// leaves the old file intact.
Status WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode = 0644);

// Plain write (truncate + write + fsync); for files nobody reads while they grow.
Status WriteFile(const std::string& path, std::string_view data, mode_t mode = 0644);

Status FsyncPath(const std::string& path);
Status FsyncDir(const std::string& dir);
// mkdir -p; existing directories are fine.
Status MakeDirs(const std::string& path, mode_t mode = 0755);
// rm -rf; a missing path is fine.
Status RemoveAll(const std::string& path);
bool PathExists(const std::string& path);

// A fresh directory under $TMPDIR (or /tmp), removed with its contents when
// the object goes away.
class TempDir {
 public:
  static StatusOr<TempDir> Make(const std::string& prefix = "tusk");
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace tusk
