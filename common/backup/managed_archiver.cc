#include "common/backup/managed_archiver.h"

#include <cstdlib>

#include "common/backup/backup_info.h"
#include "common/backup/restore.h"

extern char** environ;

namespace tusk::backup {

StatusOr<RecoverabilityStats> ReadRecoverability(s3::ObjectStore* store, const Layout& layout) {
  ASSIGN_OR_RETURN(auto backups, ListBackups(store, layout));  // DONE only, oldest first
  RecoverabilityStats r;
  if (backups.empty()) return r;
  // Restoring the oldest backup needs WAL up to its end: that is the first
  // moment the store can bring the database back to.
  ASSIGN_OR_RETURN(r.first_recoverability_point, ParseTimestamp(backups.front().end_time));
  r.last_backup_id = backups.back().backup_id;
  return r;
}

StatusOr<std::unique_ptr<ManagedArchiver>> ManagedArchiver::StartFromEnvironment(
    std::optional<ArchiverService::Owner> socket_owner, std::chrono::seconds refresh) {
  const char* config_path = std::getenv("TUSK_BACKUP_CONFIG");
  const char* socket = std::getenv("TUSK_ARCHIVER_SOCKET");
  if (!config_path || !*config_path || !socket || !*socket) return std::unique_ptr<ManagedArchiver>();
  ASSIGN_OR_RETURN(ObjectStoreConfig config, LoadObjectStoreConfig(config_path, environ));
  ASSIGN_OR_RETURN(Layout layout, LayoutFor(config));
  std::unique_ptr<ManagedArchiver> m(new ManagedArchiver());
  m->socket_path_ = socket;
  m->layout_ = layout;
  ASSIGN_OR_RETURN(m->store_, OpenObjectStore(config));
  m->archiver_ = std::make_unique<WalArchiver>(
      m->store_.get(), layout, WalArchiver::Options{config.wal_compression, config.wal_max_parallel, ""});
  ASSIGN_OR_RETURN(m->service_, ArchiverService::Start(m->socket_path_, m->archiver_.get(), socket_owner,
                                                       [p = m.get()] { p->RefreshSoon(); }));
  m->refresher_ = std::thread([p = m.get(), refresh] { p->RefreshLoop(refresh); });
  return m;
}

ManagedArchiver::~ManagedArchiver() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
  // The service stops taking requests before the archiver it calls goes away.
  if (service_) service_->Stop();
  service_.reset();
  archiver_.reset();
}

RecoverabilityStats ManagedArchiver::recoverability() const {
  std::lock_guard<std::mutex> lock(mu_);
  return recoverability_;
}

void ManagedArchiver::RefreshLoop(std::chrono::seconds every) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    auto read = ReadRecoverability(store_.get(), *layout_);
    lock.lock();
    if (read.ok()) {
      recoverability_ = *read;
    } else {
      // Keep the last known point: a store outage does not move it.
      recoverability_.last_error = read.status().message();
    }
    cv_.wait_for(lock, every, [this] { return stopping_ || refresh_requested_; });
    refresh_requested_ = false;
  }
}

void ManagedArchiver::RefreshSoon() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    refresh_requested_ = true;
  }
  cv_.notify_all();
}

}  // namespace tusk::backup
