// WAL archiving and restore with a real PostgreSQL 15 under pgbench load.
#include <dirent.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "common/backup/archiver_service.h"
#include "common/backup/wal_archive.h"
#include "test/integration/backup/backup_env.h"

namespace tusk::backup::testing {
namespace {

int ReadyCount(const std::string& pgdata) {
  int n = 0;
  DIR* d = opendir((pgdata + "/pg_wal/archive_status").c_str());
  if (d == nullptr) return -1;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 6 && name.substr(name.size() - 6) == ".ready") ++n;
  }
  closedir(d);
  return n;
}

std::set<std::string> ArchivedWal(const BackupEnv& env) {
  std::set<std::string> names;
  for (const auto& key : env.Keys(env.layout().WalsPrefix())) {
    auto p = ParseWalObjectKey(key);
    if (p) names.insert(p->wal_name);
  }
  return names;
}

std::vector<std::string> ConfFor(const std::string& archive_command) {
  return {"archive_mode = on", "archive_command = '" + archive_command + "'", "wal_level = replica",
          "max_wal_size = '1GB'", "checkpoint_timeout = '30min'"};
}

TEST_CASE("WAL archived through the manager's service under pgbench load restores byte for byte") {
  BackupEnv env("gzip", "gzip", 4);
  auto store = env.Store();
  WalArchiver archiver(store.get(), env.layout(), {Codec::kGzip, 4, ""});
  const std::string socket = env.dir.Sub("archiver.sock");
  auto service = ArchiverService::Start(socket, &archiver);
  REQUIRE(service.ok());
  ::chmod(socket.c_str(), 0777);
  // postgres runs the thin archive_command; the full tool is its fallback.
  auto pg = PgServer::Init(env.dir.Sub("pgdata"), ConfFor(env.PostgresTool(TUSK_WAL_ARCHIVE) + " --socket " + socket +
                                                          " --fallback " + env.PostgresTool(TUSK_BACKUP_TOOL) + " %p"));
  REQUIRE(pg.ok());
  { Status st = (*pg)->Start(); INFO(st.ToString()); REQUIRE(st.ok()); }
  const std::string bench = "/usr/lib/postgresql/15/bin/pgbench";
  const std::string port = std::to_string((*pg)->port());
  auto init = RunAsPostgres({bench, "-h", "127.0.0.1", "-p", port, "-i", "-s", "8", "-q", "postgres"}, {},
                            std::chrono::seconds(120));
  REQUIRE(init.ok());
  REQUIRE(init->exit.success());
  auto load = RunAsPostgres({bench, "-h", "127.0.0.1", "-p", port, "-c", "4", "-T", "6", "-n", "postgres"}, {},
                            std::chrono::seconds(120));
  REQUIRE(load.ok());
  REQUIRE(load->exit.success());
  auto last = (*pg)->Query("SELECT pg_walfile_name(pg_switch_wal())");
  REQUIRE(last.ok());
  // Everything up to the switched segment reaches the store, nothing waits.
  bool caught_up = Eventually(
      [&] {
        auto a = (*pg)->Query("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
        return a.ok() && *a >= *last && ReadyCount((*pg)->pgdata()) == 0;
      },
      std::chrono::seconds(120));
  INFO((*pg)->LogTail());
  REQUIRE(caught_up);
  CHECK(*(*pg)->Query("SELECT failed_count FROM pg_stat_archiver") == "0");
  auto archived = ArchivedWal(env);
  REQUIRE(archived.count("000000010000000000000001"));
  // Contiguous from the first segment to the last: no hole for replay.
  std::string expect = "000000010000000000000001";
  while (expect <= *last) {
    INFO(expect);
    CHECK(archived.count(expect) == 1);
    expect = NextSegmentName(expect).value_or("end");
  }
  CHECK(archiver.stats().archived_count >= 5);
  CHECK(archiver.stats().failed_count == 0);

  // Segments still in pg_wal come back identical through wal-restore.
  int compared = 0;
  for (const auto& name : archived) {
    auto local = ReadFile((*pg)->pgdata() + "/pg_wal/" + name);
    if (!local.ok()) continue;
    auto r = env.Tool({"wal-restore", "--config", env.config, name, env.dir.Sub("restored-" + name)});
    REQUIRE(r.exit.exit_code == 0);
    CHECK(*ReadFile(env.dir.Sub("restored-" + name)) == *local);
    ++compared;
  }
  CHECK(compared >= 1);
  auto missing = env.Tool({"wal-restore", "--config", env.config, "0000000100000000000000FE", env.dir.Sub("nope")});
  CHECK(missing.exit.exit_code == 1);  // "not found": where recovery learns the archive ends
  CHECK(!PathExists(env.dir.Sub("nope")));
  service->reset();
  REQUIRE((*pg)->Stop().ok());
}

TEST_CASE("archiving never overwrites: same content succeeds, different content fails") {
  BackupEnv env("lz4", "gzip", 1);
  const std::string wal_dir = env.dir.Sub("pg_wal");
  REQUIRE(MakeDirs(wal_dir).ok());
  const std::string name = "000000010000000000000007";
  std::string segment(16 << 20, '\0');
  for (size_t i = 0; i < segment.size(); i += 4096) segment[i] = static_cast<char>(i >> 12);
  REQUIRE(WriteFile(wal_dir + "/" + name, segment).ok());
  // No manager listening: wal-archive uploads by itself.
  auto first = env.Tool({"wal-archive", "--config", env.config, "--socket", env.dir.Sub("absent.sock"), wal_dir + "/" + name});
  REQUIRE(first.exit.exit_code == 0);
  auto keys = env.Keys(env.layout().WalDir(name));
  REQUIRE(keys == std::vector<std::string>{env.layout().WalKey(name, Codec::kLz4)});
  auto again = env.Tool({"wal-archive", "--config", env.config, wal_dir + "/" + name});
  CHECK(again.exit.exit_code == 0);
  segment[100] = 'X';
  REQUIRE(WriteFile(wal_dir + "/" + name, segment).ok());
  auto clash = env.Tool({"wal-archive", "--config", env.config, wal_dir + "/" + name});
  CHECK(clash.exit.exit_code == 1);
  CHECK(clash.stderr_data.find("refusing to overwrite") != std::string::npos);
  // A gzip-configured archiver sees the lz4 object too and still refuses.
  std::string gz = env.WriteConfig("gz.json", "tusk", kSecretKey, "gzip", "gzip", 1);
  CHECK(env.Tool({"wal-archive", "--config", gz, wal_dir + "/" + name}).exit.exit_code == 1);
  auto restored = env.Tool({"wal-restore", "--config", gz, name, env.dir.Sub("back")});
  REQUIRE(restored.exit.exit_code == 0);
  segment[100] = '\0';
  CHECK(*ReadFile(env.dir.Sub("back")) == segment);  // the original, untouched
}

TEST_CASE("tusk-wal-archive answers with the manager's verdict and falls back to the full tool") {
  BackupEnv env("none", "gzip", 1);
  const std::string wal_dir = env.dir.Sub("pg_wal");
  REQUIRE(MakeDirs(wal_dir).ok());
  auto segment = [](char fill) { return std::string(16 << 20, fill); };
  const std::string a = "000000010000000000000021", b = "000000010000000000000022";
  REQUIRE(WriteFile(wal_dir + "/" + a, segment('a')).ok());
  REQUIRE(WriteFile(wal_dir + "/" + b, segment('b')).ok());
  auto run = [&](const std::vector<std::string>& args) {
    SubprocessOptions o;
    o.argv = {TUSK_WAL_ARCHIVE};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = {"TUSK_BACKUP_CONFIG=" + env.config};
    auto r = RunSubprocess(o, std::chrono::seconds(60));
    REQUIRE(r.ok());
    return *r;
  };
  const std::string socket = env.dir.Sub("archiver.sock");
  // No manager and no fallback: a failure postgres will retry, nothing stored.
  auto alone = run({"--socket", socket, wal_dir + "/" + a});
  CHECK(alone.exit.exit_code == 1);
  CHECK(alone.stderr_data.find("no instance manager") != std::string::npos);
  CHECK(env.Keys(env.layout().WalDir(a)).empty());
  // No manager, with the full tool as fallback: it uploads by itself.
  auto fallback = run({"--socket", socket, "--fallback", TUSK_BACKUP_TOOL, wal_dir + "/" + a});
  INFO(fallback.stderr_data);
  CHECK(fallback.exit.exit_code == 0);
  CHECK(env.Keys(env.layout().WalDir(a)) == std::vector<std::string>{env.layout().WalKey(a, Codec::kNone)});
  // Through the manager's service: stored before the answer comes back.
  auto store = env.Store();
  WalArchiver archiver(store.get(), env.layout(), {Codec::kNone, 1, env.dir.Sub("spool")});
  auto service = ArchiverService::Start(socket, &archiver);
  REQUIRE(service.ok());
  auto handed = run({"--socket", socket, wal_dir + "/" + b});
  CHECK(handed.exit.exit_code == 0);
  CHECK(*store->Get(env.layout().WalKey(b, Codec::kNone)) == segment('b'));
  CHECK(archiver.stats().last_archived_wal == b);
  // The manager's refusal reaches postgres' log through stderr.
  REQUIRE(WriteFile(wal_dir + "/" + a, segment('x')).ok());
  auto refused = run({"--socket", socket, wal_dir + "/" + a});
  CHECK(refused.exit.exit_code == 1);
  CHECK(refused.stderr_data.find("refusing to overwrite") != std::string::npos);
  CHECK(archiver.stats().last_failed_wal == a);
}

TEST_CASE("wal-restore prefetches the next segments and serves them from the spool") {
  BackupEnv env("zstd", "gzip", 3);
  auto store = env.Store();
  const std::string src = env.dir.Sub("src");
  REQUIRE(MakeDirs(src).ok());
  std::vector<std::string> names = {"000000020000000000000010", "000000020000000000000011", "000000020000000000000012"};
  for (size_t i = 0; i < names.size(); ++i) {
    REQUIRE(WriteFile(src + "/" + names[i], std::string(1 << 20, static_cast<char>('a' + i))).ok());
    REQUIRE(ArchiveWalFile(store.get(), env.layout(), Codec::kZstd, src + "/" + names[i]).ok());
  }
  const std::string pg_wal = env.dir.Sub("restore/pg_wal");
  REQUIRE(MakeDirs(pg_wal).ok());
  REQUIRE(env.Tool({"wal-restore", "--config", env.config, names[0], pg_wal + "/RECOVERYXLOG"}).exit.exit_code == 0);
  CHECK(*ReadFile(pg_wal + "/RECOVERYXLOG") == std::string(1 << 20, 'a'));
  CHECK(PathExists(pg_wal + "/.tusk-prefetch/" + names[1]));
  CHECK(PathExists(pg_wal + "/.tusk-prefetch/" + names[2]));
  // Served from the spool even with the store gone.
  env.s3.reset();
  REQUIRE(env.Tool({"wal-restore", "--config", env.config, names[1], pg_wal + "/RECOVERYXLOG"}).exit.exit_code == 0);
  CHECK(*ReadFile(pg_wal + "/RECOVERYXLOG") == std::string(1 << 20, 'b'));
  CHECK(!PathExists(pg_wal + "/.tusk-prefetch/" + names[1]));
}

}  // namespace
}  // namespace tusk::backup::testing
