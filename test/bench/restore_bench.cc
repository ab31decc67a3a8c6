// Base backup and restore throughput against the loopback S3 server:
//   restore.mb_per_s   a pgbench database (about 1 GiB at the default scale)
//                      restored from object storage into an empty PGDATA
//   backup.mb_per_s    the base backup that produced it
//   restore.store_get_mb_per_s  the store's floor: the same data.tar fetched
//                      with the same ranges and jobs, and thrown away
//   restore.disk_write_mb_per_s the disk's floor: as many bytes written to a
//                      file beside the restored PGDATA
// TUSK_BENCH_RESTORE_SCALE sets the pgbench scale (70 ≈ 1 GiB).
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/backup/backup_info.h"
#include "common/backup/config.h"
#include "common/backup/restore.h"
#include "common/s3/transfer.h"
#include "test/bench/bench.h"
#include "test/integration/backup/fixtures.h"

using namespace tusk;
using namespace tusk::backup;
using namespace tusk::backup::testing;

namespace {

int Die(const std::string& what, const Status& s) {
  std::cerr << what << ": " << s.ToString() << "\n";
  return 1;
}

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// CPU seconds (user + system) used so far by `pid`, from /proc.
double CpuSeconds(pid_t pid) {
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) return 0;
  std::istringstream in(stat->substr(stat->rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU seconds used by this process (RUSAGE_SELF) or by the children it has
// waited for (RUSAGE_CHILDREN).
double UsageCpuSeconds(int who) {
  rusage u{};
  getrusage(who, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

}  // namespace

int main() {
  const char* scale_env = std::getenv("TUSK_BENCH_RESTORE_SCALE");
  const std::string scale = scale_env ? scale_env : "70";
  auto dir = TempDir::Make("tusk-bench-restore");
  if (!dir.ok()) return Die("tempdir", dir.status());
  ::chmod(dir->path().c_str(), 0755);
  TmpfsDir shm;
  auto s3 = S3Server::Start(shm.SubOr("s3", dir->Sub("s3")), {"tusk"});
  if (!s3.ok()) return Die("s3 server", s3.status());
  nlohmann::json j = {{"destinationPath", "s3://tusk/bench"},
                      {"endpointURL", (*s3)->endpoint()},
                      {"serverName", "restore-bench"},
                      {"s3Credentials", {{"accessKeyId", kAccessKey}, {"secretAccessKey", kSecretKey}}},
                      {"wal", {{"maxParallel", 4}}},
                      {"data", {{"jobs", 4}}}};
  const std::string config = dir->Sub("store.json");
  WriteFile(config, j.dump(), 0644).IgnoreError();
  // postgres runs the archive_command itself: the tool where it can reach it.
  auto archive_tool = PostgresExecutable(TUSK_BACKUP_TOOL, dir->path());
  if (!archive_tool.ok()) return Die("archive_command", archive_tool.status());
  std::string command = *archive_tool + " wal-archive --config " + config + " %p";
  auto pg = PgServer::Init(dir->Sub("pgdata"), {"archive_mode = on", "archive_command = '" + command + "'",
                                                "wal_level = replica", "max_wal_size = '4GB'"});
  if (!pg.ok()) return Die("initdb", pg.status());
  if (Status s = (*pg)->Start(); !s.ok()) return Die("postgres", s);
  std::cerr << "restore bench: pgbench -i -s " << scale << "\n";
  auto init = RunAsPostgres({"/usr/lib/postgresql/15/bin/pgbench", "-h", "127.0.0.1", "-p", std::to_string((*pg)->port()),
                             "-i", "-s", scale, "-q", "postgres"},
                            {}, std::chrono::seconds(900));
  if (!init.ok() || !init->exit.success()) return Die("pgbench -i", init.ok() ? InternalError(init->stderr_data) : init.status());
  auto db_size = (*pg)->Query("SELECT pg_database_size('postgres')");
  // pgbench -i leaves a backlog of WAL for archive_command (a process per
  // segment here, with no manager running); the backup's own time starts
  // once it has drained, as a backup would wait for it to.
  const auto drain_deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  while (std::chrono::steady_clock::now() < drain_deadline) {
    auto ready = (*pg)->Query("SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'");
    if (ready.ok() && *ready == "0") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }

  SubprocessOptions b;
  b.argv = {TUSK_BACKUP_TOOL, "backup", "--config", config, "--pgdata", (*pg)->pgdata(), "--conninfo", (*pg)->conninfo()};
  const double store_cpu_backup = CpuSeconds((*s3)->pid());
  const double children_cpu_backup = UsageCpuSeconds(RUSAGE_CHILDREN);
  auto t0 = std::chrono::steady_clock::now();
  auto backup = RunSubprocess(b, std::chrono::seconds(900));
  double backup_s = SecondsSince(t0);
  const double backup_cpu_s = UsageCpuSeconds(RUSAGE_CHILDREN) - children_cpu_backup;
  const double backup_store_cpu_s = CpuSeconds((*s3)->pid()) - store_cpu_backup;
  if (!backup.ok() || !backup->exit.success()) return Die("backup", backup.ok() ? InternalError(backup->stderr_data) : backup.status());
  const std::string id = backup->stdout_data.substr(0, backup->stdout_data.find('\n'));
  auto cfg = LoadObjectStoreConfig(config, nullptr);
  auto store = OpenObjectStore(*cfg);
  auto info = ParseBackupInfo(*(*store)->Get(LayoutFor(*cfg)->BackupInfoKey(id)));
  if (!info.ok()) return Die("backup.info", info.status());
  const double mib = static_cast<double>(info->size.value_or(0)) / (1 << 20);
  (*pg)->Stop().IgnoreError();

  // The store alone: data.tar in the ranges restore uses, bytes discarded.
  auto tar_info = (*store)->Head(LayoutFor(*cfg)->DataTarKey(id, Codec::kNone));
  if (!tar_info.ok()) return Die("data.tar", tar_info.status());
  uint64_t fetched = 0;
  const double store_cpu_get = CpuSeconds((*s3)->pid());
  const double self_cpu_get = UsageCpuSeconds(RUSAGE_SELF);
  auto t_get = std::chrono::steady_clock::now();
  Status got = s3::ParallelDownload(store->get(), tar_info->key, tar_info->size, RestoreOptions{}.chunk_size,
                                    RestoreOptions{}.jobs, [&](std::string_view piece) {
                                      fetched += piece.size();
                                      return OkStatus();
                                    });
  double get_s = SecondsSince(t_get);
  const double get_store_cpu_s = CpuSeconds((*s3)->pid()) - store_cpu_get;
  const double get_client_cpu_s = UsageCpuSeconds(RUSAGE_SELF) - self_cpu_get;
  if (!got.ok()) return Die("store get", got);
  // The other floor: writing as many bytes, 16 MiB at a time, into a file on
  // the file system the restore writes to (no fsync, as restore does not).
  double write_s = 0;
  {
    const std::string block(16u << 20, 'x');
    int fd = ::open(dir->Sub("write-floor").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return Die("write floor", ErrnoError("open", errno));
    auto t_write = std::chrono::steady_clock::now();
    for (uint64_t done = 0; done < fetched; done += block.size()) {
      if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) {
        ::close(fd);
        return Die("write floor", ErrnoError("write", errno));
      }
    }
    write_s = SecondsSince(t_write);
    ::close(fd);
    ::unlink(dir->Sub("write-floor").c_str());
  }

  SubprocessOptions r;
  r.argv = {TUSK_BACKUP_TOOL, "restore", "--config", config, "--pgdata", dir->Sub("restored")};
  // What the steps above left dirty (pgbench's data and WAL, the write
  // floor's file) is flushed first: the restore's final sync is its own.
  if (int fd = ::open(dir->path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); fd >= 0) {
    ::syncfs(fd);
    ::close(fd);
  }
  const double store_cpu_restore = CpuSeconds((*s3)->pid());
  const double children_cpu = UsageCpuSeconds(RUSAGE_CHILDREN);
  auto t1 = std::chrono::steady_clock::now();
  auto restore = RunSubprocess(r, std::chrono::seconds(900));
  double restore_s = SecondsSince(t1);
  const double restore_cpu_s = UsageCpuSeconds(RUSAGE_CHILDREN) - children_cpu;
  const double restore_store_cpu_s = CpuSeconds((*s3)->pid()) - store_cpu_restore;
  if (!restore.ok() || !restore->exit.success()) return Die("restore", restore.ok() ? InternalError(restore->stderr_data) : restore.status());
  nlohmann::json common = {{"mib", mib}, {"pgbench_scale", std::stoi(scale)},
                           {"database_bytes", db_size.ok() ? std::stoll(*db_size) : 0},
                           {"note", "uncompressed data.tar, 4 parallel ranges/parts, loopback s3rver (node) on the same 2 cores"}};
  nlohmann::json rx = common;
  rx["seconds"] = restore_s;
  rx["goal"] = "> 200";
  rx["store_get_mb_per_s"] = static_cast<double>(fetched) / (1 << 20) / get_s;
  rx["disk_write_mb_per_s"] = static_cast<double>(fetched) / (1 << 20) / write_s;
  rx["restore_cpu_s"] = restore_cpu_s;  // the restore process, all threads
  std::istringstream log(restore->stderr_data);
  for (std::string line; std::getline(log, line);) {
    auto entry = nlohmann::json::parse(line, nullptr, false);
    if (entry.is_object() && entry.value("msg", "") == "backup restored; start postgres to replay WAL") {
      rx["download_s"] = entry.value("downloadSeconds", 0.0);
      rx["sync_s"] = entry.value("syncSeconds", 0.0);
    }
  }
  rx["store_cpu_s"] = restore_store_cpu_s;
  bench::Report("restore.mb_per_s", mib / restore_s, "MiB/s", rx);
  bench::Report("restore.store_get_mb_per_s", static_cast<double>(fetched) / (1 << 20) / get_s, "MiB/s",
                {{"note", "data.tar fetched in the same ranges and jobs as restore, bytes discarded: the store's floor"},
                 {"seconds", get_s},
                 {"store_cpu_s", get_store_cpu_s},
                 {"client_cpu_s", get_client_cpu_s}});
  bench::Report("restore.disk_write_mb_per_s", static_cast<double>(fetched) / (1 << 20) / write_s, "MiB/s",
                {{"note", "the same number of bytes written 16 MiB at a time into one file next to the restored PGDATA: the disk's floor"}});
  nlohmann::json bx = common;
  bx["seconds"] = backup_s;
  bx["copy_s"] = info->copy_seconds;  // pg_backup_start to pg_backup_stop, from backup.info
  bx["backup_cpu_s"] = backup_cpu_s;
  bx["store_cpu_s"] = backup_store_cpu_s;
  bench::Report("backup.mb_per_s", mib / backup_s, "MiB/s", bx);
  return 0;
}
