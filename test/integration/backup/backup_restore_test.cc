// Base backup, loss of every data directory, and restore to the latest point
// and to each kind of recovery target between two marked transactions.
#include <catch2/catch.hpp>

#include "common/backup/managed_archiver.h"
#include "common/backup/restore.h"
#include "test/integration/backup/pg_cluster.h"

namespace tusk::backup::testing {
namespace {

TEST_CASE("a base backup restores to the latest point and to every recovery target exactly") {
  BackupEnv env("gzip", "gzip", 4);
  auto pg = StartArchivingPrimary(env, env.ArchiveCommand());
  REQUIRE(pg->Exec("CREATE TABLE marks (id int PRIMARY KEY, note text)").ok());
  REQUIRE(pg->Exec("INSERT INTO marks VALUES (0, 'base')").ok());
  auto init = RunAsPostgres({"/usr/lib/postgresql/15/bin/pgbench", "-h", "127.0.0.1", "-p", std::to_string(pg->port()),
                             "-i", "-s", "4", "-q", "postgres"},
                            {}, std::chrono::seconds(120));
  REQUIRE(init.ok());
  REQUIRE(init->exit.success());
  const std::string accounts_sql = "SELECT count(*) || '/' || sum(abalance) FROM pgbench_accounts";
  REQUIRE(pg->Exec("UPDATE pgbench_accounts SET abalance = aid % 97").ok());

  auto backup = env.Tool({"backup", "--config", env.config, "--pgdata", pg->pgdata(), "--conninfo", pg->conninfo()});
  INFO(backup.stderr_data);
  REQUIRE(backup.exit.exit_code == 0);
  const std::string backup_id = backup.stdout_data.substr(0, backup.stdout_data.find('\n'));
  auto info_text = env.Store()->Get(env.layout().BackupInfoKey(backup_id));
  REQUIRE(info_text.ok());
  auto info = ParseBackupInfo(*info_text);
  REQUIRE(info.ok());
  CHECK(info->status == "DONE");
  CHECK(info->systemid == *pg->Query("SELECT system_identifier::text FROM pg_control_system()"));
  CHECK(info->timeline == 1);
  CHECK(info->begin_wal <= info->end_wal);
  CHECK(info->backup_label.find("START WAL LOCATION: " + info->begin_xlog) != std::string::npos);
  CHECK(!env.Keys(env.layout().DataTarKey(backup_id, Codec::kGzip)).empty());
  // The status's first recoverability point: the end of the oldest backup.
  auto recoverability = ReadRecoverability(env.Store().get(), env.layout());
  REQUIRE(recoverability.ok());
  CHECK(recoverability->first_recoverability_point == *ParseTimestamp(info->end_time));
  CHECK(recoverability->last_backup_id == backup_id);

  // Two marked transactions; every target lands between them.
  auto xid = pg->Query("INSERT INTO marks VALUES (1, 'm1') RETURNING txid_current()::text");
  REQUIRE(xid.ok());
  auto lsn = pg->Query("SELECT pg_current_wal_insert_lsn()::text");
  auto when = pg->Query(kUtcNowSql);
  REQUIRE(pg->Exec("SELECT pg_create_restore_point('after_m1')").ok());
  REQUIRE(Eventually([&] { return *pg->Query(kUtcNowSql) > *when; }, std::chrono::seconds(5)));
  REQUIRE(pg->Exec("INSERT INTO marks VALUES (2, 'm2')").ok());
  REQUIRE(pg->Exec("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 10 = 0").ok());
  const std::string latest_accounts = *pg->Query(accounts_sql);
  WaitArchived(*pg);
  REQUIRE(pg->Stop().ok());
  REQUIRE(RemoveAll(pg->pgdata()).ok());  // every data directory is gone

  struct Case {
    const char* name;
    std::vector<std::string> flags;
    std::string marks;
  };
  std::vector<Case> cases = {
      {"latest", {}, "0:base,1:m1,2:m2"},
      {"time", {"--target-time", *when}, "0:base,1:m1"},
      {"lsn", {"--target-lsn", *lsn}, "0:base,1:m1"},
      {"xid", {"--target-xid", *xid}, "0:base,1:m1"},
      {"name", {"--target-name", "after_m1"}, "0:base,1:m1"},
      {"immediate", {"--target-immediate", "true"}, "0:base"},
  };
  for (const auto& c : cases) {
    INFO("target " << c.name);
    std::string pgdata = EmptyPgdata(env, std::string("restore-") + c.name);
    std::vector<std::string> args = {"restore", "--config", env.config, "--pgdata", pgdata};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    auto r = env.Tool(args, /*as_postgres=*/true);
    INFO(r.stderr_data);
    REQUIRE(r.exit.exit_code == 0);
    auto restored = StartRestored(pgdata);
    CHECK(*restored->Query(kMarksSql) == c.marks);
    if (std::string(c.name) == "latest") CHECK(*restored->Query(accounts_sql) == latest_accounts);
    REQUIRE(restored->Stop().ok());
  }
}

}  // namespace
}  // namespace tusk::backup::testing
