// Online base backups: pg_backup_start / pg_backup_stop (non-exclusive) on
// one session, PGDATA streamed as a tar through the compressor into a
// multipart upload with `jobs` parts in flight (nothing staged on disk),
// backup_label appended to the tar, the end WAL awaited in the archive, and
// backup.info uploaded last, as barman-cloud does.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/backup/backup_info.h"
#include "common/backup/compression.h"
#include "common/backup/layout.h"
#include "common/s3/object_store.h"

namespace tusk::backup {

struct BaseBackupOptions {
  std::string conninfo;  // a superuser session on the server being backed up
  std::string pgdata;    // that server's data directory, readable here
  std::string backup_name;
  Codec compression = Codec::kNone;
  int jobs = 2;
  size_t part_size = 32u << 20;
  // How long to wait for the backup's last WAL segment to reach the archive.
  std::chrono::seconds wal_wait{300};
};

// Whether a PGDATA-relative path is left out of a base backup, following
// PostgreSQL's and barman's exclusion lists. Directories whose contents are
// excluded are themselves kept (so they exist after a restore).
enum class Exclusion { kInclude, kSkip, kKeepDirOnly };
Exclusion ClassifyPath(const std::string& relative, bool is_dir);

StatusOr<BackupInfo> TakeBaseBackup(s3::ObjectStore* store, const Layout& layout, const BaseBackupOptions& options);

}  // namespace tusk::backup
