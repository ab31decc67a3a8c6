// The WAL archiver a running instance manager embeds: one WalArchiver with
// warm object-store connections, served to `wal-archive %p` over the socket
// named by $TUSK_ARCHIVER_SOCKET, configured from $TUSK_BACKUP_CONFIG. A
// background thread keeps the first recoverability point (the end of the
// oldest complete base backup) fresh, so status reports never wait on the
// store: it re-reads it every `refresh`, and at once when a backup or
// retention run says the backups changed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/backup/archiver_service.h"
#include "common/backup/config.h"
#include "common/backup/wal_archive.h"
#include "common/base/status.h"

namespace tusk::backup {

// What the object store can restore from, as last read from it.
struct RecoverabilityStats {
  // Zero when no complete base backup is stored (or none was read yet).
  std::chrono::system_clock::time_point first_recoverability_point{};
  std::string last_backup_id;
  std::string last_error;  // the last refresh's failure, empty when it worked
};

// Reads the backups under `layout` and derives RecoverabilityStats.
StatusOr<RecoverabilityStats> ReadRecoverability(s3::ObjectStore* store, const Layout& layout);

class ManagedArchiver {
 public:
  // Null (not an error) when the instance has no object store configured,
  // i.e. when either variable is unset. A configuration that is set but bad
  // is an error: the manager must say so instead of silently not archiving.
  // `socket_owner`: the user postgres runs as, when it is not this process's.
  static StatusOr<std::unique_ptr<ManagedArchiver>> StartFromEnvironment(
      std::optional<ArchiverService::Owner> socket_owner = std::nullopt,
      std::chrono::seconds refresh = std::chrono::seconds(60));
  ~ManagedArchiver();

  const std::string& socket_path() const { return socket_path_; }
  ArchiverStats stats() const { return archiver_->stats(); }
  RecoverabilityStats recoverability() const;

 private:
  ManagedArchiver() = default;
  void RefreshLoop(std::chrono::seconds every);
  void RefreshSoon();

  std::string socket_path_;
  std::unique_ptr<s3::ObjectStore> store_;
  std::optional<Layout> layout_;
  std::unique_ptr<WalArchiver> archiver_;
  std::unique_ptr<ArchiverService> service_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool refresh_requested_ = false;
  RecoverabilityStats recoverability_;
  std::thread refresher_;
};

}  // namespace tusk::backup
