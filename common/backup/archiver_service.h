// The in-manager end of archive_command: the running instance manager keeps
// one WalArchiver (and its warm object-store connections) behind a Unix
// socket; the short-lived `wal-archive %p` process sends the segment's path
// and waits for the answer, which comes only once the object is stored.
// Protocol: one request line "ARCHIVE <absolute path>\n", one reply line
// "OK\n" or "ERROR <message>\n". A backup or retention run that changed the
// store's backups says "BACKUPS-CHANGED\n" (answered "OK\n"), so the
// manager re-reads its first recoverability point at once.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/backup/wal_archive.h"
#include "common/base/status.h"

namespace tusk::backup {

class ArchiverService {
 public:
  // Binds `socket_path` (replacing a stale socket file) and serves until Stop.
  // With `owner`, the socket is handed to that user (mode 0600): postgres'
  // archive_command runs as the postgres user while the manager may be root.
  struct Owner {
    uid_t uid;
    gid_t gid;
  };
  // `backups_changed` runs on the service's thread and must not block.
  static StatusOr<std::unique_ptr<ArchiverService>> Start(const std::string& socket_path, WalArchiver* archiver,
                                                          std::optional<Owner> owner = std::nullopt,
                                                          std::function<void()> backups_changed = nullptr);
  ~ArchiverService();
  void Stop();

 private:
  ArchiverService(std::string path, WalArchiver* archiver, int listen_fd, int wake_fd[2]);
  void Serve();
  void Handle(int fd);

  std::string path_;
  WalArchiver* archiver_;
  std::function<void()> backups_changed_;
  int listen_fd_;
  int wake_read_;
  int wake_write_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
};

// The client side. Unavailable when nobody listens on `socket_path` (the
// caller then uploads by itself); otherwise the manager's verdict.
Status ArchiveThroughService(const std::string& socket_path, const std::string& wal_path,
                             std::chrono::seconds timeout);

// Tells the manager listening on `socket_path` that backups were added or
// deleted; Unavailable when none listens.
Status NotifyBackupsChanged(const std::string& socket_path);

}  // namespace tusk::backup
