// backup, restore and backup-retention: the commands run per backup, not per
// WAL file.
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "common/backup/archiver_service.h"
#include "common/backup/base_backup.h"
#include "common/backup/command_args.h"
#include "common/backup/commands.h"
#include "common/backup/config.h"
#include "common/backup/restore.h"
#include "common/backup/retention.h"
#include "common/log/log.h"

extern char** environ;

namespace tusk::backup {
namespace {

int Fail(const log::Logger& logger, const std::string& what, const Status& s) {
  logger.Error(what, {{"error", s.ToString()}});
  return 2;
}

std::string SelfExe() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "tusk-instance";
}

std::string Absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[PATH_MAX];
  return ::getcwd(cwd, sizeof cwd) ? std::string(cwd) + "/" + path : path;
}

struct Opened {
  ObjectStoreConfig config;
  std::unique_ptr<s3::ObjectStore> store;
  std::optional<Layout> layout;
};

StatusOr<Opened> Open(const CommandArgs& args) {
  Opened o;
  ASSIGN_OR_RETURN(o.config, LoadObjectStoreConfig(args.Get("config", "TUSK_BACKUP_CONFIG"), environ));
  ASSIGN_OR_RETURN(o.store, OpenObjectStore(o.config));
  ASSIGN_OR_RETURN(Layout layout, LayoutFor(o.config));
  o.layout = layout;
  return o;
}

// A running instance manager re-reads its first recoverability point when
// told; without one (or unreachable) there is nobody to tell.
void TellManagerBackupsChanged(log::Logger& logger) {
  const char* socket = std::getenv("TUSK_ARCHIVER_SOCKET");
  if (socket == nullptr || *socket == '\0') return;
  Status s = NotifyBackupsChanged(socket);
  if (!s.ok()) logger.Info("the instance manager was not told of the change", {{"reason", s.ToString()}});
}

}  // namespace

int BackupCommand(const std::vector<std::string>& argv) {
  log::Logger logger("backup");
  auto args = ParseCommandArgs(argv, {"config", "pgdata", "conninfo", "backup-name", "wal-wait-seconds"});
  if (!args.ok()) return Fail(logger, "bad arguments", args.status());
  auto opened = Open(*args);
  if (!opened.ok()) return Fail(logger, "cannot open the object store", opened.status());
  BaseBackupOptions o;
  o.pgdata = args->Get("pgdata", "PGDATA");
  o.conninfo = args->Get("conninfo", "TUSK_BACKUP_CONNINFO", "dbname=postgres");
  o.backup_name = args->Get("backup-name", nullptr);
  o.compression = opened->config.data_compression;
  o.jobs = opened->config.data_jobs;
  o.wal_wait = std::chrono::seconds(std::atoi(args->Get("wal-wait-seconds", nullptr, "300").c_str()));
  if (o.pgdata.empty()) return Fail(logger, "bad arguments", InvalidArgumentError("--pgdata (or PGDATA) is required"));
  auto info = TakeBaseBackup(opened->store.get(), *opened->layout, o);
  if (!info.ok()) return Fail(logger, "backup failed", info.status());
  logger.Info("backup completed", {{"backupId", info->backup_id}, {"beginWal", info->begin_wal},
                                   {"endWal", info->end_wal}, {"size", info->size.value_or(0)}});
  TellManagerBackupsChanged(logger);
  std::printf("%s\n", info->backup_id.c_str());
  return 0;
}

int RestoreCommand(const std::vector<std::string>& argv) {
  log::Logger logger("restore");
  auto args = ParseCommandArgs(argv, {"config", "pgdata", "backup-id", "target-time", "target-lsn", "target-xid",
                                      "target-name", "target-immediate", "target-tli", "target-exclusive",
                                      "restore-command"});
  if (!args.ok()) return Fail(logger, "bad arguments", args.status());
  RestoreOptions o;
  o.pgdata = args->Get("pgdata", "PGDATA");
  o.backup_id = args->Get("backup-id", nullptr);
  int targets = 0;
  auto pick = [&](const char* flag, RecoveryTarget::Kind kind) {
    if (!args->Has(flag)) return;
    ++targets;
    o.target.kind = kind;
    o.target.value = args->Get(flag, nullptr);
  };
  pick("target-time", RecoveryTarget::Kind::kTime);
  pick("target-lsn", RecoveryTarget::Kind::kLsn);
  pick("target-xid", RecoveryTarget::Kind::kXid);
  pick("target-name", RecoveryTarget::Kind::kName);
  pick("target-immediate", RecoveryTarget::Kind::kImmediate);
  if (targets > 1) return Fail(logger, "bad arguments", InvalidArgumentError("give at most one recovery target"));
  o.target.timeline = args->Get("target-tli", nullptr, "latest");
  o.target.inclusive = args->Get("target-exclusive", nullptr, "false") != "true";
  if (o.pgdata.empty()) return Fail(logger, "bad arguments", InvalidArgumentError("--pgdata (or PGDATA) is required"));
  auto opened = Open(*args);
  if (!opened.ok()) return Fail(logger, "cannot open the object store", opened.status());
  o.jobs = std::max(opened->config.data_jobs, 4);
  o.restore_command = args->Get("restore-command", nullptr,
                                SelfExe() + " wal-restore --config " +
                                    Absolute(args->Get("config", "TUSK_BACKUP_CONFIG")) + " %f %p");
  auto restored = RestoreBackup(opened->store.get(), *opened->layout, o);
  if (!restored.ok()) return Fail(logger, "restore failed", restored.status());
  const double mib = static_cast<double>(restored->bytes) / (1 << 20);
  logger.Info("backup restored; start postgres to replay WAL",
              {{"backupId", restored->backup.backup_id},
               {"pgdata", o.pgdata},
               {"files", restored->files},
               {"mib", std::round(mib * 10) / 10},
               {"downloadSeconds", std::round(restored->download_seconds * 100) / 100},
               {"downloadMiBPerSecond", std::round(mib / std::max(restored->download_seconds, 1e-3))},
               {"syncSeconds", std::round(restored->sync_seconds * 100) / 100}});
  return 0;
}

int RetentionCommand(const std::vector<std::string>& argv) {
  log::Logger logger("backup-retention");
  auto args = ParseCommandArgs(argv, {"config", "policy"});
  if (!args.ok()) return Fail(logger, "bad arguments", args.status());
  auto opened = Open(*args);
  if (!opened.ok()) return Fail(logger, "cannot open the object store", opened.status());
  std::string policy = args->Get("policy", nullptr, opened->config.retention_policy);
  if (policy.empty()) return Fail(logger, "bad arguments", InvalidArgumentError("no retention policy given"));
  auto plan = ApplyRetention(opened->store.get(), *opened->layout, policy, std::chrono::system_clock::now());
  if (!plan.ok()) return Fail(logger, "retention failed", plan.status());
  logger.Info("retention applied", {{"deletedBackups", plan->delete_backups.size()},
                                    {"deletedWal", plan->delete_wal_keys.size()},
                                    {"firstRecoverableWal", plan->first_recoverable_wal}});
  if (!plan->delete_backups.empty()) TellManagerBackupsChanged(logger);
  return 0;
}

}  // namespace tusk::backup
