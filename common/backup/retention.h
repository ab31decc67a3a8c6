// Retention by recovery window ("30d", "4w", "3m"): keep every backup that
// ended inside the window plus the newest one before it (the base that can
// still reach the window's start), and the WAL from that oldest kept backup
// on. The plan is a pure function; applying it deletes objects.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/backup/backup_info.h"
#include "common/backup/layout.h"
#include "common/s3/object_store.h"

namespace tusk::backup {

StatusOr<std::chrono::seconds> ParseRetentionPolicy(const std::string& policy);

struct RetentionPlan {
  std::vector<std::string> delete_backups;  // backup ids
  std::vector<std::string> delete_wal_keys;
  std::string first_recoverable_wal;  // begin_wal of the oldest kept backup
};

// `backups`: every backup (any status), `wal_keys`: every object under wals/.
RetentionPlan PlanRetention(const std::vector<BackupInfo>& backups, const std::vector<std::string>& wal_keys,
                            std::chrono::system_clock::time_point now, std::chrono::seconds window);

StatusOr<RetentionPlan> ApplyRetention(s3::ObjectStore* store, const Layout& layout, const std::string& policy,
                                       std::chrono::system_clock::time_point now);

}  // namespace tusk::backup
