#include "instance-manager/commands.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "common/backup/commands.h"
#include "common/backup/managed_archiver.h"
#include "common/base/clock.h"
#include "common/base/signals.h"
#include "common/log/log.h"
#include "common/pg/connection.h"
#include "instance-manager/archive_status.h"
#include "instance-manager/bootstrap.h"
#include "instance-manager/certificates.h"
#include "instance-manager/grpc_service.h"
#include "instance-manager/http_server.h"
#include "instance-manager/manager.h"
#include "instance-manager/sql_postgres_control.h"
#include "instance-manager/status_query.h"

namespace tusk::instance {
namespace {

// Flags parsed and logging set up, or the exit code to leave with.
bool Setup(const std::vector<std::string>& args, Options* out, int* rc) {
  auto o = ParseOptions(args);
  if (!o.ok()) {
    std::cerr << "tusk-instance: " << o.status().message() << "\n";
    *rc = 2;
    return false;
  }
  auto lo = log::OptionsFrom(o->log_level, o->log_format);
  if (!lo.ok()) {
    std::cerr << "tusk-instance: " << lo.status().message() << "\n";
    *rc = 2;
    return false;
  }
  log::Init(*lo);
  *out = std::move(*o);
  return true;
}

log::Logger LoggerFor(const Options& o) {
  return log::Logger("instance", {{"logging_pod", o.pod_name}});
}

int Finish(const Status& st, const log::Logger& logger) {
  if (!st.ok()) logger.Error(st.message());
  log::Flush();
  return st.ok() ? 0 : 1;
}

int InitCommand(const std::vector<std::string>& args) {
  Options o;
  int rc = 0;
  if (!Setup(args, &o, &rc)) return rc;
  ChildRegistry registry;
  ProcessPgTools tools(o, &registry);
  RealClock clock;
  return Finish(RunInit(o, tools, clock, LoggerFor(o)), LoggerFor(o));
}

int JoinCommand(const std::vector<std::string>& args) {
  Options o;
  int rc = 0;
  if (!Setup(args, &o, &rc)) return rc;
  ChildRegistry registry;
  ProcessPgTools tools(o, &registry);
  RealClock clock;
  return Finish(RunJoin(o, tools, clock, LoggerFor(o)), LoggerFor(o));
}

int StatusCommand(const std::vector<std::string>& args) {
  Options o;
  int rc = 0;
  if (!Setup(args, &o, &rc)) return rc;
  pg::Connection conn(o.LocalConninfo());
  v1::InstanceStatus s;
  s.set_pod_name(o.pod_name);
  auto r = conn.Query(kStatusQuery);
  Status st = r.ok() ? ParseStatusJson(r->Scalar(), &s) : r.status();
  s.set_postgres_running(st.ok());
  if (!st.ok()) s.set_last_error(st.message());
  std::cout << StatusJson(s) << std::endl;
  return st.ok() ? 0 : 1;
}

int RunCommand(const std::vector<std::string>& args) {
  // Signals first, before any thread exists, so only the loop sees them.
  auto signals = SignalFd::Create({SIGTERM, SIGINT, SIGQUIT, SIGCHLD, SIGHUP});
  IgnoreSigpipe();
  Options o;
  int rc = 0;
  if (!Setup(args, &o, &rc)) return rc;
  log::Logger logger = LoggerFor(o);
  if (!signals.ok()) return Finish(signals.status(), logger);
  ChildRegistry registry;
  ProcessPgTools tools(o, &registry);
  // Again on every start: the certificates dir is an emptyDir, and the
  // secrets may have been rotated since init.
  if (Status st = InstallCertificates(o, tools); !st.ok()) return Finish(st, logger);
  if (auto stale = RemoveStalePidFile(o.pgdata); !stale.ok()) {
    return Finish(stale.status(), logger);
  } else if (*stale) {
    logger.Info("removed the postmaster.pid of a postgres that is not running", {{"pgdata", o.pgdata}});
  }
  // Outlives the desired-state source, whose informer waits on it.
  RealClock clock;
  auto desired = OpenDesiredState(o, clock);
  if (!desired.ok()) return Finish(desired.status(), logger);
  ChildPostmaster postmaster(
      ChildPostmaster::Config{o.bin_dir + "/postgres", o.pgdata,
                              o.drop_privileges() ? std::optional<uid_t>(o.postgres_uid) : std::nullopt,
                              o.drop_privileges() ? std::optional<gid_t>(o.postgres_gid) : std::nullopt},
      &registry);
  SqlPostgresControl postgres(o.LocalConninfo());
  InstanceManager manager(o, std::move(*desired), {&clock, &postmaster, &postgres, &tools, &registry}, logger);
  // The archiver starts before the servers that report its status.
  std::optional<backup::ArchiverService::Owner> socket_owner;
  if (o.drop_privileges()) socket_owner = backup::ArchiverService::Owner{o.postgres_uid, o.postgres_gid};
  auto archiver = backup::ManagedArchiver::StartFromEnvironment(socket_owner);
  if (!archiver.ok()) return Finish(archiver.status().WithContext("WAL archiver"), logger);
  if (*archiver) {
    logger.Info("WAL archiver serving", {{"socket", (*archiver)->socket_path()}});
    manager.SetArchiverStatusSource([a = archiver->get(), pgdata = o.pgdata, &clock] {
      return MakeArchiverStatus(a->stats(), a->recoverability(), ScanArchiveQueue(pgdata),
                                clock.WallNow());
    });
  }
  GrpcService service(&manager, &clock);
  auto grpc_server = StartGrpcServer(o.grpc_address, &service);
  if (!grpc_server.ok()) return Finish(grpc_server.status(), logger);
  HttpServer http(&manager.hub(), &clock);
  if (Status st = http.Start(o.http_address); !st.ok()) return Finish(st, logger);
  logger.Info("instance manager running", {{"pid", ::getpid()}, {"grpc", o.grpc_address}, {"http", o.http_address}});
  rc = manager.Run(&*signals);
  manager.hub().Close();
  if (rc != 0) {
    // Postgres died: the container must restart now, not after the servers
    // wind down (gRPC's sync server can take a second to stop).
    logger.Error("instance manager exiting", {{"exit_code", rc}});
    log::Flush();
    std::_Exit(rc);
  }
  // Open WatchStatus streams end now; the operator sees the stream close.
  (*grpc_server)->Shutdown(clock.WallNow());
  http.Stop();
  logger.Info("instance manager exiting", {{"exit_code", rc}});
  log::Flush();
  return rc;
}

}  // namespace

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"init", "initdb a new primary (checksums, roles, application database)", InitCommand},
      {"join", "clone the current primary with pg_basebackup and configure a standby", JoinCommand},
      {"run", "PID 1: supervise postgres, follow the Cluster, serve gRPC and HTTP", RunCommand},
      {"status", "print this instance's status as JSON", StatusCommand},
      {"wal-archive", "archive_command: store one WAL file (through the running manager)", backup::WalArchiveCommand},
      {"wal-restore", "restore_command: fetch one WAL file, prefetching the next ones", backup::WalRestoreCommand},
      {"backup", "take a base backup to the object store", backup::BackupCommand},
      {"restore", "restore a base backup into an empty PGDATA, with a recovery target", backup::RestoreCommand},
      {"backup-retention", "delete backups and WAL beyond the retention policy", backup::RetentionCommand},
  };
  return kCommands;
}

std::string Usage() {
  std::string u = "Usage: tusk-instance <command> [flags]\n\n"
                  "The Tusk instance manager: PID 1 of a Postgres pod. It supervises postgres,\n"
                  "configures replication from the Cluster and reports health over gRPC.\n\nCommands:\n";
  for (const auto& c : Commands()) {
    std::string name = c.name;
    name.resize(std::max<size_t>(name.size() + 2, 18), ' ');
    u += "  " + name + c.summary + "\n";
  }
  return u + "\n" + kFlagsHelp;
}

}  // namespace tusk::instance
