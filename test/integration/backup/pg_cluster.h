// A primary that archives with Tusk's wal-archive into a BackupEnv's store,
// and helpers to mark transactions, take backups and restore copies.
#pragma once

#include <string>

#include "test/integration/backup/backup_env.h"

namespace tusk::backup::testing {

inline const char* kUtcNowSql =
    "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00:00'";
inline const char* kMarksSql = "SELECT string_agg(id || ':' || note, ',' ORDER BY id) FROM marks";

inline std::unique_ptr<PgServer> StartArchivingPrimary(const BackupEnv& env, const std::string& archive_command) {
  auto pg = PgServer::Init(env.dir.Sub("pgdata"),
                           {"archive_mode = on", "archive_command = '" + archive_command + "'", "wal_level = replica"});
  REQUIRE(pg.ok());
  Status st = (*pg)->Start();
  INFO(st.ToString());
  REQUIRE(st.ok());
  return std::move(*pg);
}

// Switches WAL and waits until the finished segment is archived.
inline void WaitArchived(PgServer& pg) {
  auto last = pg.Query("SELECT pg_walfile_name(pg_switch_wal())");
  REQUIRE(last.ok());
  bool ok = Eventually(
      [&] {
        auto a = pg.Query("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
        return a.ok() && *a >= *last;
      },
      std::chrono::seconds(60));
  INFO(pg.LogTail());
  REQUIRE(ok);
}

// An empty data directory the postgres user owns, for restores run as postgres.
inline std::string EmptyPgdata(const BackupEnv& env, const std::string& name) {
  std::string path = env.dir.Sub(name);
  REQUIRE(MakeDirs(path, 0700).ok());
  REQUIRE(ChownToPostgres(path).ok());
  return path;
}

// Starts postgres on a restored directory and waits for recovery to promote.
// The copy does not archive: a restored cluster writing new timelines into
// the source's serverName would change what the next restore replays.
inline std::unique_ptr<PgServer> StartRestored(const std::string& pgdata) {
  auto conf = ReadFile(pgdata + "/postgresql.auto.conf");
  REQUIRE(conf.ok());
  REQUIRE(WriteFile(pgdata + "/postgresql.auto.conf", *conf + "archive_mode = off\n", 0600).ok());
  REQUIRE(ChownToPostgres(pgdata + "/postgresql.auto.conf").ok());
  auto pg = PgServer::Adopt(pgdata);
  Status st = pg->Start();
  if (st.ok()) st = pg->WaitPromoted(std::chrono::seconds(120));
  INFO(st.ToString());
  REQUIRE(st.ok());
  return pg;
}

}  // namespace tusk::backup::testing
