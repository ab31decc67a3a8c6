// Restore: choose a base backup, stream its tar from the object store in
// parallel ranges straight into an empty PGDATA, and configure recovery
// (restore_command, one recovery target, the target timeline) so postgres
// replays archived WAL up to the chosen point and promotes.
#pragma once

#include <string>
#include <vector>

#include "common/backup/backup_info.h"
#include "common/backup/layout.h"
#include "common/s3/object_store.h"

namespace tusk::backup {

struct RecoveryTarget {
  enum class Kind { kLatest, kTime, kLsn, kXid, kName, kImmediate };
  Kind kind = Kind::kLatest;
  std::string value;
  std::string timeline = "latest";
  bool inclusive = true;
};

// Backups whose backup.info says DONE, oldest first.
StatusOr<std::vector<BackupInfo>> ListBackups(s3::ObjectStore* store, const Layout& layout);

// `backup_id` names one ("latest" or empty: choose by target). For a time or
// LSN target, the newest backup that ended before it; otherwise the newest.
StatusOr<BackupInfo> ChooseBackup(const std::vector<BackupInfo>& backups, const std::string& backup_id,
                                  const RecoveryTarget& target);

// The postgresql.auto.conf lines that make postgres recover to `target`.
std::string RecoveryConf(const RecoveryTarget& target, const std::string& restore_command);

struct RestoreOptions {
  std::string pgdata;
  std::string backup_id;
  RecoveryTarget target;
  std::string restore_command;  // e.g. "tusk-instance wal-restore %f %p"
  int jobs = 4;
  size_t chunk_size = 16u << 20;
};

struct RestoreResult {
  BackupInfo backup;
  uint64_t bytes = 0;  // data.tar as stored (compressed when it is)
  uint64_t files = 0;
  double download_seconds = 0;  // fetch, decompress and extract
  double sync_seconds = 0;      // until the extracted files are on disk
};

StatusOr<RestoreResult> RestoreBackup(s3::ObjectStore* store, const Layout& layout, const RestoreOptions& options);

}  // namespace tusk::backup
