// WAL archiving figures against the loopback S3 server:
//   archive.wal_segment_ms         one 16 MiB segment through the archive_command
//                                  `tusk-wal-archive %p` handed to the manager's
//                                  archiver (median)
//   archive.barman_cloud_segment_ms  the same segments with barman-cloud-wal-archive
//   archive.speedup                the ratio of the two
//   archive.lag_segments_under_load  .ready segments waiting while pgbench runs
//   archive.store_put_ms           the store's own floor: one 16 MiB PUT from a
//                                  warm connection, nothing else (tmpfs and disk)
//   archive.wal_segment_inprocess_ms  the archiver alone (LIST, read, PUT), no
//                                  process or socket hop
//   archive.wal_segment_socket_ms  the same through the socket, no process start
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pwd.h>
#include <sys/stat.h>

#include <iostream>
#include <cstring>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/backup/archiver_service.h"
#include "common/backup/config.h"
#include "common/backup/wal_archive.h"
#include "common/s3/s3_client.h"
#include "test/bench/bench.h"
#include "test/integration/backup/fixtures.h"

using namespace tusk;
using namespace tusk::backup;
using namespace tusk::backup::testing;

namespace {

double MillisSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

int Die(const std::string& what, const Status& s) {
  std::cerr << what << ": " << s.ToString() << "\n";
  return 1;
}

int ReadyCount(const std::string& pgdata) {
  int n = 0;
  DIR* d = opendir((pgdata + "/pg_wal/archive_status").c_str());
  if (d == nullptr) return 0;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 6 && name.substr(name.size() - 6) == ".ready") ++n;
  }
  closedir(d);
  return n;
}

std::string WriteConfig(const std::string& path, const std::string& endpoint, const std::string& server, int parallel) {
  nlohmann::json j = {{"destinationPath", "s3://tusk/bench"},
                      {"endpointURL", endpoint},
                      {"serverName", server},
                      {"s3Credentials", {{"accessKeyId", kAccessKey}, {"secretAccessKey", kSecretKey}}},
                      {"wal", {{"maxParallel", parallel}}}};
  WriteFile(path, j.dump(), 0644).IgnoreError();
  return path;
}

// Raw PUTs of `body` under fresh keys on one warm connection.
StatusOr<std::vector<double>> StorePuts(const std::string& endpoint, const std::string& body, int n,
                                        const std::string& prefix) {
  s3::S3Options o;
  o.endpoint_url = endpoint;
  o.bucket = "tusk";
  o.credentials = {kAccessKey, kSecretKey, ""};
  ASSIGN_OR_RETURN(auto client, s3::S3Client::Create(o));
  RETURN_IF_ERROR(client->CheckBucket());
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    auto t = std::chrono::steady_clock::now();
    RETURN_IF_ERROR(client->Put(prefix + std::to_string(i), body));
    ms.push_back(MillisSince(t));
  }
  return ms;
}

// Runs a timed command the way postgres runs archive_command: the caller is
// small when postgres forks, but this bench holds segments in memory and
// has threads, so fork() here would time copying its page tables, not the
// command. posix_spawn (vfork semantics) does not. Stderr goes to a file,
// read back only on failure.
StatusOr<SubprocessResult> Spawn(const SubprocessOptions& o, const std::string& err_file) {
  std::vector<char*> argv, envp;
  for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env = o.env;
  if (env.empty()) {
    for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  } else {
    env.push_back("PATH=/usr/bin:/bin");
  }
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return ErrnoError("posix_spawn " + o.argv[0], rc);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return ErrnoError("waitpid", errno);
  }
  SubprocessResult r;
  r.exit.exited = WIFEXITED(status);
  r.exit.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (r.exit.exit_code != 0) r.stderr_data = ReadFile(err_file).value_or("");
  return r;
}

}  // namespace

int main() {
  const int kSegments = 10;
  auto dir = TempDir::Make("tusk-bench-archive");
  if (!dir.ok()) return Die("tempdir", dir.status());
  ::chmod(dir->path().c_str(), 0755);
  TmpfsDir shm;
  auto s3 = S3Server::Start(shm.SubOr("s3", dir->Sub("s3")), {"tusk"});
  if (!s3.ok()) return Die("s3 server", s3.status());
  const std::string endpoint = (*s3)->endpoint();

  // Ten 16 MiB segments of incompressible bytes: what crosses the wire is the
  // same for both tools (neither compresses here).
  const std::string wal = dir->Sub("pg_wal");
  MakeDirs(wal).IgnoreError();
  std::mt19937_64 rng(7);
  std::vector<std::string> names;
  for (int i = 0; i < kSegments; ++i) {
    std::string seg(16 << 20, '\0');
    for (size_t k = 0; k + 8 <= seg.size(); k += 8) {
      uint64_t v = rng();
      std::memcpy(&seg[k], &v, 8);
    }
    char name[32];
    std::snprintf(name, sizeof name, "0000000100000000%08X", i + 1);
    names.push_back(name);
    WriteFile(wal + "/" + name, seg).IgnoreError();
  }

  // The store's floor, on tmpfs and on disk: what no client can go below.
  auto seg0 = ReadFile(wal + "/" + names[0]);
  if (!seg0.ok()) return Die("segment", seg0.status());
  auto store_ms = StorePuts(endpoint, *seg0, kSegments, "floor/");
  if (!store_ms.ok()) return Die("store put", store_ms.status());
  std::vector<double> disk_store_ms;
  {
    auto disk_s3 = S3Server::Start(dir->Sub("s3-disk"), {"tusk"});
    if (!disk_s3.ok()) return Die("s3 server on disk", disk_s3.status());
    auto r = StorePuts((*disk_s3)->endpoint(), *seg0, kSegments, "floor/");
    if (!r.ok()) return Die("store put on disk", r.status());
    disk_store_ms = *r;
  }

  // Tusk: postgres' archive_command `tusk-wal-archive --socket S %p` (libc
  // only) hands each segment to the manager's archiver.
  const std::string config = WriteConfig(dir->Sub("tusk.json"), endpoint, "tusk", 1);
  auto cfg = LoadObjectStoreConfig(config, nullptr);
  if (!cfg.ok()) return Die("config", cfg.status());
  auto store = OpenObjectStore(*cfg);
  WalArchiver archiver(store->get(), *LayoutFor(*cfg), {Codec::kNone, 1, ""});
  const std::string socket = dir->Sub("archiver.sock");
  auto service = ArchiverService::Start(socket, &archiver);
  if (!service.ok()) return Die("service", service.status());
  std::vector<double> tusk_ms;
  for (const auto& n : names) {
    SubprocessOptions o;
    o.argv = {TUSK_WAL_ARCHIVE, "--socket", socket, wal + "/" + n};
    auto t = std::chrono::steady_clock::now();
    auto r = Spawn(o, dir->Sub("stderr"));
    if (!r.ok() || !r->exit.success()) return Die("wal-archive " + n, r.ok() ? InternalError(r->stderr_data) : r.status());
    tusk_ms.push_back(MillisSince(t));
  }
  // The same hand-off from the full tool (`tusk-backup-tool wal-archive`,
  // which links what `tusk-instance` links for the backup engine).
  std::vector<double> full_ms;
  {
    const std::string c = WriteConfig(dir->Sub("full.json"), endpoint, "full", 1);
    auto fcfg = LoadObjectStoreConfig(c, nullptr);
    auto fstore = OpenObjectStore(*fcfg);
    WalArchiver a(fstore->get(), *LayoutFor(*fcfg), {Codec::kNone, 1, dir->Sub("full-spool")});
    const std::string sock = dir->Sub("full.sock");
    auto svc = ArchiverService::Start(sock, &a);
    if (!svc.ok()) return Die("service", svc.status());
    for (const auto& n : names) {
      SubprocessOptions o;
      o.argv = {TUSK_BACKUP_TOOL, "wal-archive", "--config", c, "--socket", sock, wal + "/" + n};
      auto t = std::chrono::steady_clock::now();
      auto r = Spawn(o, dir->Sub("stderr"));
      if (!r.ok() || !r->exit.success()) return Die("wal-archive " + n, r.ok() ? InternalError(r->stderr_data) : r.status());
      full_ms.push_back(MillisSince(t));
    }
  }
  // The archiver alone, in this process: LIST, read, PUT.
  std::vector<double> inproc_ms;
  {
    const std::string c = WriteConfig(dir->Sub("inproc.json"), endpoint, "inproc", 1);
    auto icfg = LoadObjectStoreConfig(c, nullptr);
    auto istore = OpenObjectStore(*icfg);
    WalArchiver a(istore->get(), *LayoutFor(*icfg), {Codec::kNone, 1, dir->Sub("inproc-spool")});
    for (const auto& n : names) {
      auto t = std::chrono::steady_clock::now();
      if (Status st = a.Archive(wal + "/" + n); !st.ok()) return Die("archive in process", st);
      inproc_ms.push_back(MillisSince(t));
    }
  }
  // The hand-off over the socket from this process: no process start.
  std::vector<double> socket_ms;
  {
    const std::string c = WriteConfig(dir->Sub("socket.json"), endpoint, "socket", 1);
    auto scfg = LoadObjectStoreConfig(c, nullptr);
    auto sstore = OpenObjectStore(*scfg);
    WalArchiver a(sstore->get(), *LayoutFor(*scfg), {Codec::kNone, 1, dir->Sub("socket-spool")});
    const std::string sock = dir->Sub("socket.sock");
    auto svc = ArchiverService::Start(sock, &a);
    if (!svc.ok()) return Die("service", svc.status());
    for (const auto& n : names) {
      auto t = std::chrono::steady_clock::now();
      if (Status st = ArchiveThroughService(sock, wal + "/" + n, std::chrono::seconds(60)); !st.ok()) {
        return Die("archive through the socket", st);
      }
      socket_ms.push_back(MillisSince(t));
    }
  }
  // As postgres drives it: every segment already .ready, requests one after
  // another, the manager uploading wal.maxParallel = 4 ahead.
  const std::string ahead_config = WriteConfig(dir->Sub("ahead.json"), endpoint, "ahead", 4);
  auto ahead_cfg = LoadObjectStoreConfig(ahead_config, nullptr);
  auto ahead_store = OpenObjectStore(*ahead_cfg);
  std::vector<double> ahead_ms;
  double ahead_total_ms = 0;
  {
    MakeDirs(wal + "/archive_status").IgnoreError();
    for (const auto& n : names) WriteFile(wal + "/archive_status/" + n + ".ready", "").IgnoreError();
    WalArchiver ahead(ahead_store->get(), *LayoutFor(*ahead_cfg), {Codec::kNone, 4, dir->Sub("ahead-spool")});
    const std::string ahead_socket = dir->Sub("ahead.sock");
    auto ahead_service = ArchiverService::Start(ahead_socket, &ahead);
    if (!ahead_service.ok()) return Die("service", ahead_service.status());
    auto start = std::chrono::steady_clock::now();
    for (const auto& n : names) {
      SubprocessOptions o;
      o.argv = {TUSK_WAL_ARCHIVE, "--socket", ahead_socket, wal + "/" + n};
      auto t = std::chrono::steady_clock::now();
      auto r = Spawn(o, dir->Sub("stderr"));
      if (!r.ok() || !r->exit.success()) return Die("wal-archive ahead", r.ok() ? InternalError(r->stderr_data) : r.status());
      ahead_ms.push_back(MillisSince(t));
      // What postgres does after a success.
      ::rename((wal + "/archive_status/" + n + ".ready").c_str(), (wal + "/archive_status/" + n + ".done").c_str());
    }
    ahead_total_ms = MillisSince(start);
  }
  // The same without the manager (fallback: the process uploads by itself).
  const std::string direct_config = WriteConfig(dir->Sub("direct.json"), endpoint, "direct", 1);
  std::vector<double> direct_ms;
  for (const auto& n : names) {
    SubprocessOptions o;
    o.argv = {TUSK_BACKUP_TOOL, "wal-archive", "--config", direct_config, wal + "/" + n};
    auto t = std::chrono::steady_clock::now();
    auto r = Spawn(o, dir->Sub("stderr"));
    if (!r.ok() || !r->exit.success()) return Die("wal-archive direct", r.ok() ? InternalError(r->stderr_data) : r.status());
    direct_ms.push_back(MillisSince(t));
  }
  std::vector<double> barman_ms;
  for (const auto& n : names) {
    SubprocessOptions o;
    o.argv = {"barman-cloud-wal-archive", "--endpoint-url", endpoint, "s3://tusk/bench", "barman", wal + "/" + n};
    o.env = {"AWS_ACCESS_KEY_ID=" + std::string(kAccessKey), "AWS_SECRET_ACCESS_KEY=" + std::string(kSecretKey),
             "AWS_DEFAULT_REGION=us-east-1"};
    auto t = std::chrono::steady_clock::now();
    auto r = Spawn(o, dir->Sub("stderr"));
    if (!r.ok() || !r->exit.success()) return Die("barman-cloud-wal-archive", r.ok() ? InternalError(r->stderr_data) : r.status());
    barman_ms.push_back(MillisSince(t));
  }
  auto tusk_sum = bench::Summarize(tusk_ms);
  auto barman_sum = bench::Summarize(barman_ms);
  auto store_sum = bench::Summarize(*store_ms);
  bench::ReportSamples("archive.store_put_ms", *store_ms, "ms",
                       {{"note", "one 16 MiB PUT on a warm connection, nothing else: the loopback store's floor (s3rver, files on tmpfs)"}});
  bench::ReportSamples("archive.store_put_disk_ms", disk_store_ms, "ms",
                       {{"note", "the same with s3rver's files on disk"}});
  bench::ReportSamples("archive.wal_segment_inprocess_ms", inproc_ms, "ms",
                       {{"note", "the archiver alone: LIST (never overwrite), read, PUT; no process or socket hop"}});
  bench::ReportSamples("archive.wal_segment_socket_ms", socket_ms, "ms",
                       {{"note", "the hand-off over the manager's socket from a running process: no process start"}});
  bench::ReportSamples("archive.wal_segment_full_tool_ms", full_ms, "ms",
                       {{"note", "the hand-off from `tusk-backup-tool wal-archive` instead: its process start is the difference"}});
  bench::ReportSamples("archive.wal_segment_ms", tusk_ms, "ms",
                       {{"goal", "< 50"}, {"store_put_p50", store_sum.p50},
                        {"above_store_p50", tusk_sum.p50 - store_sum.p50},
                        {"note", "16 MiB segment, archive_command tusk-wal-archive handing off to the manager's archiver, uncompressed, loopback s3rver"}});
  bench::ReportSamples("archive.wal_segment_lookahead_ms", ahead_ms, "ms",
                       {{"total_ms", ahead_total_ms},
                        {"note", "10 segments already .ready, archived in order as postgres does, wal.maxParallel 4"}});
  bench::ReportSamples("archive.wal_segment_direct_ms", direct_ms, "ms",
                       {{"note", "same, with no manager running: the process uploads by itself"}});
  bench::ReportSamples("archive.barman_cloud_segment_ms", barman_ms, "ms", {{"note", "barman-cloud-wal-archive 3.4, uncompressed"}});
  bench::Report("archive.speedup", barman_sum.p50 / tusk_sum.p50, "x",
                {{"goal", ">= 10"},
                 {"ceiling_with_this_store", barman_sum.p50 / store_sum.p50},
                 {"note", "ceiling: barman's time over the store's bare PUT, the best any client could reach here"}});

  // Lag under load: postgres archives through the manager with look-ahead.
  const std::string load_config = WriteConfig(dir->Sub("load.json"), endpoint, "load", 4);
  auto load_cfg = LoadObjectStoreConfig(load_config, nullptr);
  auto load_store = OpenObjectStore(*load_cfg);
  WalArchiver load_archiver(load_store->get(), *LayoutFor(*load_cfg), {Codec::kNone, 4, ""});
  const std::string load_socket = dir->Sub("load.sock");
  auto load_service = ArchiverService::Start(load_socket, &load_archiver);
  if (!load_service.ok()) return Die("service", load_service.status());
  ::chmod(load_socket.c_str(), 0777);
  // postgres runs the archive_command itself: the tool where it can reach it.
  auto archive_tool = PostgresExecutable(TUSK_WAL_ARCHIVE, dir->path());
  if (!archive_tool.ok()) return Die("archive_command", archive_tool.status());
  std::string command = *archive_tool + " --socket " + load_socket + " %p";
  auto pg = PgServer::Init(dir->Sub("pgdata"), {"archive_mode = on", "archive_command = '" + command + "'",
                                                "wal_level = replica", "max_wal_size = '2GB'", "synchronous_commit = off"});
  if (!pg.ok()) return Die("initdb", pg.status());
  if (Status s = (*pg)->Start(); !s.ok()) return Die("postgres", s);
  const std::string bench_bin = "/usr/lib/postgresql/15/bin/pgbench";
  const std::string port = std::to_string((*pg)->port());
  auto init = RunAsPostgres({bench_bin, "-h", "127.0.0.1", "-p", port, "-i", "-s", "20", "-q", "postgres"}, {}, std::chrono::seconds(300));
  if (!init.ok() || !init->exit.success()) return Die("pgbench -i", init.ok() ? InternalError(init->stderr_data) : init.status());
  SubprocessOptions load;
  load.argv = {bench_bin, "-h", "127.0.0.1", "-p", port, "-c", "8", "-j", "2", "-T", "20", "-n", "postgres"};
  if (passwd* pw = getpwnam("postgres")) {
    load.uid = pw->pw_uid;
    load.gid = pw->pw_gid;
  }
  auto pgbench = Subprocess::Start(load);
  if (!pgbench.ok()) return Die("pgbench", pgbench.status());
  std::vector<double> waiting;
  auto lsn_start = (*pg)->Query("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn");
  while (true) {
    auto done = (*pgbench)->Poll();
    if (!done.ok() || done->has_value()) break;
    waiting.push_back(ReadyCount((*pg)->pgdata()));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto lsn_end = (*pg)->Query("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn");
  double wal_mb = (lsn_start.ok() && lsn_end.ok()) ? (std::stod(*lsn_end) - std::stod(*lsn_start)) / (1 << 20) : 0;
  auto lag = bench::Summarize(waiting);
  bench::Report("archive.lag_segments_under_load", lag.max, "segments",
                {{"goal", "<= 1"}, {"p50", lag.p50}, {"p99", lag.p99}, {"samples", lag.runs},
                 {"wal_mb_per_s", wal_mb / 20.0},
                 {"note", "max .ready files seen every 100 ms during pgbench -c 8 -T 20 (scale 20), wal.maxParallel 4"}});
  (*pg)->Stop().IgnoreError();
  return 0;
}
