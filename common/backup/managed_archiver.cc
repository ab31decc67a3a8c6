#include "common/backup/managed_archiver.h"

#include <cstdlib>

extern char** environ;

namespace tusk::backup {

StatusOr<std::unique_ptr<ManagedArchiver>> ManagedArchiver::StartFromEnvironment() {
  const char* config_path = std::getenv("TUSK_BACKUP_CONFIG");
  const char* socket = std::getenv("TUSK_ARCHIVER_SOCKET");
  if (!config_path || !*config_path || !socket || !*socket) return std::unique_ptr<ManagedArchiver>();
  ASSIGN_OR_RETURN(ObjectStoreConfig config, LoadObjectStoreConfig(config_path, environ));
  ASSIGN_OR_RETURN(Layout layout, LayoutFor(config));
  std::unique_ptr<ManagedArchiver> m(new ManagedArchiver());
  m->socket_path_ = socket;
  ASSIGN_OR_RETURN(m->store_, OpenObjectStore(config));
  m->archiver_ = std::make_unique<WalArchiver>(
      m->store_.get(), layout, WalArchiver::Options{config.wal_compression, config.wal_max_parallel, ""});
  ASSIGN_OR_RETURN(m->service_, ArchiverService::Start(m->socket_path_, m->archiver_.get()));
  return m;
}

ManagedArchiver::~ManagedArchiver() {
  // The service stops taking requests before the archiver it calls goes away.
  if (service_) service_->Stop();
  service_.reset();
  archiver_.reset();
}

}  // namespace tusk::backup
