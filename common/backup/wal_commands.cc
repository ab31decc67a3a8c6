// wal-archive and wal-restore: the two commands postgres runs per WAL file.
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "common/backup/archiver_service.h"
#include "common/backup/command_args.h"
#include "common/backup/commands.h"
#include "common/backup/config.h"
#include "common/backup/wal_archive.h"
#include "common/backup/wal_restore.h"
#include "common/log/log.h"

extern char** environ;

namespace tusk::backup {
namespace {

std::string Absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return path;
  return std::string(cwd) + "/" + path;
}

int Fail(const log::Logger& logger, const std::string& what, const Status& s, int code) {
  logger.Error(what, {{"error", s.ToString()}});
  return code;
}

}  // namespace

int WalArchiveCommand(const std::vector<std::string>& argv) {
  log::Logger logger("wal-archive");
  auto args = ParseCommandArgs(argv, {"config", "socket"});
  if (!args.ok()) return Fail(logger, "bad arguments", args.status(), 2);
  if (args->positional.size() != 1) {
    return Fail(logger, "bad arguments", InvalidArgumentError("usage: wal-archive [--config F] [--socket S] <%p>"), 2);
  }
  const std::string wal_path = Absolute(args->positional[0]);
  const std::string socket = args->Get("socket", "TUSK_ARCHIVER_SOCKET");
  if (!socket.empty()) {
    Status s = ArchiveThroughService(socket, wal_path, std::chrono::seconds(600));
    if (s.ok()) return 0;
    if (s.code() != StatusCode::kUnavailable) return Fail(logger, "archiving failed", s, 1);
    logger.Warn("instance manager not reachable; uploading directly", {{"error", s.message()}});
  }
  auto config = LoadObjectStoreConfig(args->Get("config", "TUSK_BACKUP_CONFIG"), environ);
  if (!config.ok()) return Fail(logger, "cannot read the object store configuration", config.status(), 1);
  auto layout = LayoutFor(*config);
  auto store = OpenObjectStore(*config);
  if (!layout.ok() || !store.ok()) return Fail(logger, "bad object store", layout.ok() ? store.status() : layout.status(), 1);
  Status s;
  {
    WalArchiver archiver(store->get(), *layout, {config->wal_compression, config->wal_max_parallel, ""});
    s = archiver.Archive(wal_path);
  }
  if (!s.ok()) return Fail(logger, "archiving failed", s, 1);
  return 0;
}

int WalRestoreCommand(const std::vector<std::string>& argv) {
  log::Logger logger("wal-restore");
  auto args = ParseCommandArgs(argv, {"config"});
  if (!args.ok()) return Fail(logger, "bad arguments", args.status(), 2);
  if (args->positional.size() != 2) {
    return Fail(logger, "bad arguments", InvalidArgumentError("usage: wal-restore [--config F] <%f> <%p>"), 2);
  }
  auto config = LoadObjectStoreConfig(args->Get("config", "TUSK_BACKUP_CONFIG"), environ);
  if (!config.ok()) return Fail(logger, "cannot read the object store configuration", config.status(), 2);
  auto layout = LayoutFor(*config);
  auto store = OpenObjectStore(*config);
  if (!layout.ok() || !store.ok()) return Fail(logger, "bad object store", layout.ok() ? store.status() : layout.status(), 2);
  WalRestoreOptions options;
  options.max_parallel = config->wal_max_parallel;
  Status s = RestoreWal(store->get(), *layout, args->positional[0], Absolute(args->positional[1]), options);
  if (s.code() == StatusCode::kNotFound) {
    logger.Info("not in the archive", {{"wal", args->positional[0]}});
    return 1;
  }
  if (!s.ok()) return Fail(logger, "restoring WAL failed", s, 2);
  return 0;
}

}  // namespace tusk::backup
