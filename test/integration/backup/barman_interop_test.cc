// barman-cloud's own tools (Debian barman-cli-cloud) read what Tusk writes,
// and Tusk restores what barman-cloud writes, on the same loopback store.
#include <catch2/catch.hpp>

#include "common/backup/backup_info.h"
#include "test/integration/backup/pg_cluster.h"

namespace tusk::backup::testing {
namespace {

// A barman-cloud command line as postgres would run it from a GUC.
std::string BarmanCommand(const BackupEnv& env, const std::string& tool, const std::string& args) {
  return "env AWS_ACCESS_KEY_ID=" + std::string(kAccessKey) + " AWS_SECRET_ACCESS_KEY=" + kSecretKey +
         " AWS_DEFAULT_REGION=us-east-1 HOME=/tmp " + tool + " --endpoint-url " + env.s3->endpoint() + " " + args;
}

SubprocessResult Barman(const BackupEnv& env, std::vector<std::string> argv) {
  argv.insert(argv.begin() + 1, {"--endpoint-url", env.s3->endpoint()});
  auto r = RunAsPostgres(argv, env.BarmanEnv(), std::chrono::seconds(180));
  REQUIRE(r.ok());
  return *r;
}

TEST_CASE("barman-cloud lists and restores a Tusk backup and its WAL") {
  BackupEnv env("gzip", "gzip", 2);
  auto pg = StartArchivingPrimary(env, env.ArchiveCommand());
  REQUIRE(pg->Exec("CREATE TABLE marks (id int PRIMARY KEY, note text)").ok());
  REQUIRE(pg->Exec("INSERT INTO marks VALUES (0, 'base')").ok());
  auto backup = env.Tool({"backup", "--config", env.config, "--pgdata", pg->pgdata(), "--conninfo", pg->conninfo()});
  INFO(backup.stderr_data);
  REQUIRE(backup.exit.exit_code == 0);
  const std::string id = backup.stdout_data.substr(0, backup.stdout_data.find('\n'));
  REQUIRE(pg->Exec("INSERT INTO marks VALUES (1, 'm1')").ok());
  WaitArchived(*pg);
  REQUIRE(pg->Stop().ok());

  auto list = Barman(env, {"barman-cloud-backup-list", env.BarmanUrl(), kServerName});
  INFO(list.stderr_data);
  REQUIRE(list.exit.exit_code == 0);
  CHECK(list.stdout_data.find(id) != std::string::npos);

  auto info = ParseBackupInfo(*env.Store()->Get(env.layout().BackupInfoKey(id)));
  REQUIRE(info.ok());
  const std::string by_barman = EmptyPgdata(env, "walout") + "/wal-by-barman";
  auto wal = Barman(env, {"barman-cloud-wal-restore", env.BarmanUrl(), kServerName, info->begin_wal, by_barman});
  INFO(wal.stderr_data);
  REQUIRE(wal.exit.exit_code == 0);
  REQUIRE(env.Tool({"wal-restore", "--config", env.config, info->begin_wal, env.dir.Sub("wal-by-tusk")}).exit.exit_code == 0);
  CHECK(*ReadFile(by_barman) == *ReadFile(env.dir.Sub("wal-by-tusk")));

  const std::string pgdata = EmptyPgdata(env, "restored-by-barman");
  auto restore = Barman(env, {"barman-cloud-restore", env.BarmanUrl(), kServerName, id, pgdata});
  INFO(restore.stderr_data);
  REQUIRE(restore.exit.exit_code == 0);
  std::string conf = *ReadFile(pgdata + "/postgresql.auto.conf");
  conf += "restore_command = '" + BarmanCommand(env, "barman-cloud-wal-restore", env.BarmanUrl() + " " + kServerName + " %f %p") + "'\n";
  REQUIRE(WriteFile(pgdata + "/postgresql.auto.conf", conf, 0600).ok());
  REQUIRE(WriteFile(pgdata + "/recovery.signal", "", 0600).ok());
  REQUIRE(ChownToPostgres(pgdata).ok());
  auto restored = StartRestored(pgdata);
  CHECK(*restored->Query(kMarksSql) == "0:base,1:m1");
}

TEST_CASE("Tusk restores a backup and WAL that barman-cloud wrote") {
  BackupEnv env("gzip", "gzip", 2);
  auto pg = StartArchivingPrimary(
      env, BarmanCommand(env, "barman-cloud-wal-archive", "-z " + env.BarmanUrl() + " " + kServerName + " %p"));
  REQUIRE(pg->Exec("CREATE TABLE marks (id int PRIMARY KEY, note text)").ok());
  REQUIRE(pg->Exec("INSERT INTO marks VALUES (0, 'base')").ok());
  auto backup = Barman(env, {"barman-cloud-backup", "-z", "--immediate-checkpoint", "-h", "127.0.0.1", "-p",
                             std::to_string(pg->port()), "-U", "postgres", env.BarmanUrl(), kServerName});
  INFO(backup.stderr_data);
  REQUIRE(backup.exit.exit_code == 0);
  REQUIRE(pg->Exec("INSERT INTO marks VALUES (1, 'm1')").ok());
  WaitArchived(*pg);
  REQUIRE(pg->Stop().ok());

  const std::string pgdata = EmptyPgdata(env, "restored-by-tusk");
  auto r = env.Tool({"restore", "--config", env.config, "--pgdata", pgdata}, /*as_postgres=*/true);
  INFO(r.stderr_data);
  REQUIRE(r.exit.exit_code == 0);
  auto restored = StartRestored(pgdata);
  CHECK(*restored->Query(kMarksSql) == "0:base,1:m1");
}

}  // namespace
}  // namespace tusk::backup::testing
