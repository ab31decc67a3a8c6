// Archiving end to end through `tusk-instance run`: postgres' archive_command
// runs `tusk-wal-archive --socket`, which hands each segment to the
// archiver embedded in the running manager, which stores it in the loopback
// S3 server; the manager's gRPC status and /metrics then report it.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <set>

#include "common/backup/backup_info.h"
#include "common/pg/connection.h"
#include "test/integration/backup/backup_env.h"
#include "test/integration/pg/instance_fixture.h"
#include "tusk/proto/instance.grpc.pb.h"

namespace tusk::backup::testing {
namespace {

namespace v1 = tusk::instance::v1;

// One `tusk-instance run`, stopped (TERM, then KILL) when the test ends.
struct RunningManager {
  std::unique_ptr<Subprocess> proc;
  ~RunningManager() {
    if (!proc || proc->reaped()) return;
    proc->Signal(SIGTERM).IgnoreError();
    bool gone = Eventually([&] { auto r = proc->Poll(); return !r.ok() || r->has_value(); }, std::chrono::seconds(30));
    if (!gone) {
      proc->Signal(SIGKILL).IgnoreError();
      Eventually([&] { auto r = proc->Poll(); return !r.ok() || r->has_value(); }, std::chrono::seconds(5));
    }
  }
};

v1::InstanceStatus GetStatus(const std::string& address) {
  auto stub = v1::InstanceManager::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::InstanceStatus s;
  auto st = stub->GetStatus(&ctx, v1::GetStatusRequest(), &s);
  if (!st.ok()) s.set_last_error("rpc: " + st.error_message());
  return s;
}

std::string Metrics(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(5);
  auto r = c.Get("/metrics");
  return r && r->status == 200 ? "\n" + r->body : "";
}

std::string Tail(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return "(no log)";
  return text->size() > 4000 ? text->substr(text->size() - 4000) : *text;
}

}  // namespace

TEST_CASE("tusk-instance run archives WAL through its embedded archiver and reports it") {
  BackupEnv env("gzip", "gzip", 2);
  const std::string root = env.dir.path();
  const std::string node = root + "/pg-1";
  REQUIRE(MakeDirs(node + "/run", 0755).ok());
  REQUIRE(ChownToPostgres(node + "/run").ok());
  tusk::testing::ClusterFile cluster(root + "/cluster.json", "pg", {"pg-1"}, "pg-1");
  const int port = FreeLoopbackPort(), grpc_port = FreeLoopbackPort(), http_port = FreeLoopbackPort();
  const std::string grpc_address = "127.0.0.1:" + std::to_string(grpc_port);
  const std::string socket = node + "/archiver.sock";
  const std::string log = node + "/manager.log";
  // The thin archive_command without --fallback: if the manager's socket
  // were not reachable it would fail, so every stored segment went through
  // the embedded archiver.
  const std::string archive_command = env.PostgresTool(TUSK_WAL_ARCHIVE) + " --socket " + socket + " %p";
  const std::vector<std::string> flags = {
      "--pgdata", node + "/pgdata", "--pod-name", "pg-1", "--cluster-file", cluster.path(),
      "--port", std::to_string(port), "--listen-addresses", "127.0.0.1", "--socket-dir", node + "/run",
      "--log-dir", node + "/log", "--replication-auth", "loopback-trust", "--grpc-address", grpc_address,
      "--http-address", "127.0.0.1:" + std::to_string(http_port), "--archive-command", archive_command};
  auto command = [&](const std::string& verb) {
    SubprocessOptions o;
    o.argv = {"sh", "-c", "exec \"$@\" >>\"$LOG\" 2>&1", "sh", TUSK_INSTANCE_BIN, verb};
    o.argv.insert(o.argv.end(), flags.begin(), flags.end());
    o.env = {"LOG=" + log, "TUSK_BACKUP_CONFIG=" + env.config, "TUSK_ARCHIVER_SOCKET=" + socket};
    return o;
  };
  auto init = RunSubprocess(command("init"), std::chrono::minutes(2));
  REQUIRE(init.ok());
  INFO(Tail(log));
  REQUIRE(init->exit.success());

  RunningManager manager;
  auto started = Subprocess::Start(command("run"));
  REQUIRE(started.ok());
  manager.proc = std::move(*started);
  REQUIRE(Eventually([&] { return GetStatus(grpc_address).ready(); }, std::chrono::seconds(60)));
  REQUIRE(GetStatus(grpc_address).has_archiver());

  // Three segments, each closed by pg_switch_wal after a write.
  pg::Connection sql("host=" + node + "/run port=" + std::to_string(port) +
                     " user=postgres dbname=postgres connect_timeout=5");
  REQUIRE(sql.Exec("CREATE TABLE marks (n int)").ok());
  std::vector<std::string> switched;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(sql.Exec("INSERT INTO marks VALUES (" + std::to_string(i) + ")").ok());
    auto name = sql.Query("SELECT pg_walfile_name(pg_current_wal_lsn())");
    REQUIRE(name.ok());
    switched.push_back(name->Scalar());
    REQUIRE(sql.Exec("SELECT pg_switch_wal()").ok());
  }

  // The segments land in the store under barman-cloud's layout.
  auto stored = [&] {
    std::set<std::string> names;
    auto listing = env.Store()->List(env.layout().WalsPrefix());
    if (!listing.ok()) return names;
    for (const auto& o : listing->objects) {
      if (auto p = ParseWalObjectKey(o.key)) names.insert(p->wal_name);
    }
    return names;
  };
  bool landed = Eventually([&] {
    auto names = stored();
    for (const auto& s : switched) {
      if (!names.count(s)) return false;
    }
    return true;
  }, std::chrono::seconds(60));
  REQUIRE(landed);

  // gRPC status: the embedded archiver did the work, and nothing waits.
  v1::InstanceStatus status;
  REQUIRE(Eventually([&] {
    status = GetStatus(grpc_address);
    return status.archiver().last_archived_wal() >= switched.back() && status.archiver().pending_segments() == 0;
  }, std::chrono::seconds(30)));
  const auto& a = status.archiver();
  CHECK(a.archived_count() >= switched.size());
  CHECK(a.failed_count() == 0);
  CHECK(a.last_error().empty());
  CHECK(a.last_archived_unix_ms() > 0);
  CHECK(a.done_segments() >= 1);
  CHECK(a.first_recoverability_unix_ms() == 0);  // no base backup yet

  // /metrics under CloudNativePG's names, agreeing with the status.
  std::string m;
  REQUIRE(Eventually([&] {
    m = Metrics(http_port);
    return m.find("\ncnpg_collector_pg_wal_archive_status{value=\"ready\"} 0\n") != std::string::npos;
  }, std::chrono::seconds(10)));
  INFO(m);
  auto count_at = m.find("\ncnpg_pg_stat_archiver_archived_count ");
  REQUIRE(count_at != std::string::npos);
  CHECK(std::stoull(m.substr(count_at + 38)) >= switched.size());
  CHECK(m.find("\ncnpg_pg_stat_archiver_failed_count 0\n") != std::string::npos);
  auto since_at = m.find("\ncnpg_pg_stat_archiver_seconds_since_last_archival ");
  REQUIRE(since_at != std::string::npos);
  CHECK(std::stod(m.substr(since_at + 51)) >= 0);
  CHECK(m.find("\ncnpg_collector_first_recoverability_point 0\n") != std::string::npos);

  // A base backup tells the manager, which reads the new first
  // recoverability point at once rather than at its next minute's refresh.
  SubprocessOptions backup;
  backup.argv = {TUSK_INSTANCE_BIN, "backup", "--pgdata", node + "/pgdata", "--conninfo",
                 "host=" + node + "/run port=" + std::to_string(port) + " user=postgres dbname=postgres"};
  backup.env = {"TUSK_BACKUP_CONFIG=" + env.config, "TUSK_ARCHIVER_SOCKET=" + socket};
  auto taken = RunSubprocess(backup, std::chrono::minutes(2));
  REQUIRE(taken.ok());
  INFO(taken->stderr_data);
  REQUIRE(taken->exit.success());
  // The id is the last line; tusk-instance's own log lines come before it.
  std::string out = taken->stdout_data;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  const std::string backup_id = out.substr(out.rfind('\n') + 1);
  auto info = ParseBackupInfo(*env.Store()->Get(env.layout().BackupInfoKey(backup_id)));
  REQUIRE(info.ok());
  const auto end = std::chrono::duration_cast<std::chrono::milliseconds>(
      ParseTimestamp(info->end_time)->time_since_epoch()).count();
  REQUIRE(Eventually([&] { return GetStatus(grpc_address).archiver().first_recoverability_unix_ms() == end; },
                  std::chrono::seconds(15)));
  CHECK(GetStatus(grpc_address).archiver().last_backup_id() == backup_id);
}

}  // namespace tusk::backup::testing
