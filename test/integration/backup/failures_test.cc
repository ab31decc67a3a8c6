// What a user sees when the object store or the local disk says no: a clear
// error, a retryable exit for postgres, and nothing already archived lost.
#include <sys/mount.h>

#include <catch2/catch.hpp>

#include "common/backup/backup_info.h"
#include "common/backup/tar.h"
#include "test/integration/backup/backup_env.h"

namespace tusk::backup::testing {
namespace {

std::string Segment(char fill) { return std::string(16 << 20, fill); }

// A tmpfs this test mounts and always unmounts.
struct TinyDisk {
  std::string path;
  bool mounted = false;
  TinyDisk(const std::string& p, const std::string& size) : path(p) {
    REQUIRE(MakeDirs(path).ok());
    mounted = ::mount("tmpfs", path.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
    REQUIRE(mounted);
  }
  ~TinyDisk() {
    if (mounted) ::umount2(path.c_str(), MNT_DETACH);
  }
};

TEST_CASE("a wrong credential fails clearly, is retried by postgres, and loses nothing") {
  BackupEnv env("gzip", "gzip", 2);
  const std::string wal = env.dir.Sub("pg_wal");
  REQUIRE(MakeDirs(wal).ok());
  REQUIRE(WriteFile(wal + "/000000010000000000000001", Segment('a')).ok());
  REQUIRE(WriteFile(wal + "/000000010000000000000002", Segment('b')).ok());
  REQUIRE(env.Tool({"wal-archive", "--config", env.config, wal + "/000000010000000000000001"}).exit.exit_code == 0);
  const auto before = env.Keys();

  const std::string bad = env.WriteConfig("bad.json", "tusk", "not-the-secret", "gzip", "gzip", 2);
  auto archive = env.Tool({"wal-archive", "--config", bad, wal + "/000000010000000000000002"});
  CHECK(archive.exit.exit_code == 1);  // postgres keeps the segment and retries
  CHECK(archive.stderr_data.find("rejected the credentials") != std::string::npos);
  auto restore = env.Tool({"wal-restore", "--config", bad, "000000010000000000000001", env.dir.Sub("x")});
  CHECK(restore.exit.exit_code == 2);  // an error, never "not found": recovery must not end early
  CHECK(restore.stderr_data.find("s3Credentials") != std::string::npos);
  CHECK(env.Keys() == before);

  // Fixing the credential is all it takes.
  REQUIRE(env.Tool({"wal-archive", "--config", env.config, wal + "/000000010000000000000002"}).exit.exit_code == 0);
  REQUIRE(env.Tool({"wal-restore", "--config", env.config, "000000010000000000000001", env.dir.Sub("x")}).exit.exit_code == 0);
  CHECK(*ReadFile(env.dir.Sub("x")) == Segment('a'));
}

TEST_CASE("a missing bucket fails clearly and creates nothing") {
  BackupEnv env("gzip", "gzip", 1);
  const std::string wal = env.dir.Sub("pg_wal");
  REQUIRE(MakeDirs(wal).ok());
  REQUIRE(WriteFile(wal + "/000000010000000000000001", Segment('a')).ok());
  const std::string missing = env.WriteConfig("missing.json", "no-such-bucket", kSecretKey, "gzip", "gzip", 1);
  auto archive = env.Tool({"wal-archive", "--config", missing, wal + "/000000010000000000000001"});
  CHECK(archive.exit.exit_code == 1);
  CHECK(archive.stderr_data.find("the bucket does not exist") != std::string::npos);
  auto restore = env.Tool({"restore", "--config", missing, "--pgdata", env.dir.Sub("restore")});
  CHECK(restore.exit.exit_code == 2);
  CHECK(restore.stderr_data.find("does not exist") != std::string::npos);
  CHECK(env.Keys().empty());
  CHECK(!PathExists(env.dir.Sub("restore/PG_VERSION")));
}

TEST_CASE("a full local disk fails the restore clearly and the archive stays whole") {
  BackupEnv env("gzip", "gzip", 2);
  auto store = env.Store();
  // A small backup written the way TakeBaseBackup writes one.
  std::string tar;
  TarWriter w([&](std::string_view b) {
    tar.append(b);
    return OkStatus();
  });
  TarEntry root;
  root.name = ".";
  root.type = '5';
  root.mode = 0700;
  REQUIRE(w.AddBytes(root, "").ok());
  TarEntry file;
  file.name = "base/1/16384";
  REQUIRE(w.AddBytes(file, std::string(6 << 20, 'r')).ok());
  REQUIRE(w.Finish().ok());
  const std::string id = "20261125T000000";
  REQUIRE(store->Put(env.layout().DataTarKey(id, Codec::kGzip), *Compress(Codec::kGzip, tar)).ok());
  BackupInfo info;
  info.status = "DONE";
  info.end_time = "2026-11-25 00:00:01+00:00";
  REQUIRE(store->Put(env.layout().BackupInfoKey(id), RenderBackupInfo(info)).ok());
  const std::string wal = env.dir.Sub("pg_wal");
  REQUIRE(MakeDirs(wal).ok());
  REQUIRE(WriteFile(wal + "/000000010000000000000003", Segment('w')).ok());
  REQUIRE(env.Tool({"wal-archive", "--config", env.config, wal + "/000000010000000000000003"}).exit.exit_code == 0);
  const auto before = env.Keys();

  TinyDisk disk(env.dir.Sub("tiny"), "2m");
  auto restore = env.Tool({"restore", "--config", env.config, "--pgdata", disk.path + "/pgdata"});
  CHECK(restore.exit.exit_code == 2);
  CHECK(restore.stderr_data.find("No space left on device") != std::string::npos);
  auto fetch = env.Tool({"wal-restore", "--config", env.config, "000000010000000000000003", disk.path + "/RECOVERYXLOG"});
  CHECK(fetch.exit.exit_code == 2);  // not "not found": postgres must not end recovery here
  CHECK(fetch.stderr_data.find("No space left on device") != std::string::npos);
  CHECK(!PathExists(disk.path + "/RECOVERYXLOG"));
  CHECK(env.Keys() == before);

  // With room, the same backup and WAL restore intact.
  REQUIRE(env.Tool({"restore", "--config", env.config, "--pgdata", env.dir.Sub("roomy")}).exit.exit_code == 0);
  CHECK(*ReadFile(env.dir.Sub("roomy/base/1/16384")) == std::string(6 << 20, 'r'));
  REQUIRE(env.Tool({"wal-restore", "--config", env.config, "000000010000000000000003", env.dir.Sub("seg")}).exit.exit_code == 0);
  CHECK(*ReadFile(env.dir.Sub("seg")) == Segment('w'));
}

}  // namespace
}  // namespace tusk::backup::testing
