// The WAL archiver a running instance manager embeds: one WalArchiver with
// warm object-store connections, served to `wal-archive %p` over the socket
// named by $TUSK_ARCHIVER_SOCKET, configured from $TUSK_BACKUP_CONFIG.
#pragma once

#include <memory>
#include <string>

#include "common/backup/archiver_service.h"
#include "common/backup/config.h"
#include "common/backup/wal_archive.h"
#include "common/base/status.h"

namespace tusk::backup {

class ManagedArchiver {
 public:
  // Null (not an error) when the instance has no object store configured,
  // i.e. when either variable is unset. A configuration that is set but bad
  // is an error: the manager must say so instead of silently not archiving.
  static StatusOr<std::unique_ptr<ManagedArchiver>> StartFromEnvironment();
  ~ManagedArchiver();

  const std::string& socket_path() const { return socket_path_; }
  ArchiverStats stats() const { return archiver_->stats(); }

 private:
  ManagedArchiver() = default;

  std::string socket_path_;
  std::unique_ptr<s3::ObjectStore> store_;
  std::unique_ptr<WalArchiver> archiver_;
  std::unique_ptr<ArchiverService> service_;
};

}  // namespace tusk::backup
