// Real processes for the backup tests, each owned by one object that stops
// it by PID: the loopback S3 server (npm @20minutes/s3rver, installed by
// `make deps`) and PostgreSQL 15 clusters run as the `postgres` user.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/base/files.h"
#include "common/base/status.h"
#include "common/base/subprocess.h"
#include "test/unit/eventually.h"

namespace tusk::backup::testing {

// The credentials the S3 test server accepts.
constexpr char kAccessKey[] = "S3RVER";
constexpr char kSecretKey[] = "S3RVER";

int FreeLoopbackPort();
// Makes `path` and its parents reachable by the postgres user.
Status ChownToPostgres(const std::string& path);

// A directory on tmpfs (/dev/shm), removed when destroyed. Benchmarks keep
// the store's files there, so the server pays for its own work and not for
// the disk under it.
class TmpfsDir {
 public:
  TmpfsDir();
  ~TmpfsDir();
  TmpfsDir(const TmpfsDir&) = delete;
  TmpfsDir& operator=(const TmpfsDir&) = delete;
  // `sub` inside it, or `fallback` when no tmpfs directory could be made.
  std::string SubOr(const std::string& sub, const std::string& fallback) const {
    return path_.empty() ? fallback : path_ + "/" + sub;
  }

 private:
  std::string path_;
};

class S3Server {
 public:
  static StatusOr<std::unique_ptr<S3Server>> Start(const std::string& data_dir, const std::vector<std::string>& buckets);
  ~S3Server();
  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return proc_->pid(); }

 private:
  std::unique_ptr<Subprocess> proc_;
  int port_ = 0;
};

class PgServer {
 public:
  // initdb into `pgdata` (created, owned by postgres); `conf` lines go into
  // postgresql.auto.conf.
  static StatusOr<std::unique_ptr<PgServer>> Init(const std::string& pgdata, const std::vector<std::string>& conf);
  // A server over an existing data directory (e.g. one just restored).
  static std::unique_ptr<PgServer> Adopt(const std::string& pgdata);
  ~PgServer();

  Status Start();
  // Fast shutdown; waits for the postmaster to exit.
  Status Stop();
  // Waits until postgres accepts connections and is out of recovery.
  Status WaitPromoted(std::chrono::seconds timeout);
  // Whether the postmaster is still running (it exits on a FATAL recovery).
  bool Running();

  // First column of the first row (empty string when no rows).
  StatusOr<std::string> Query(const std::string& sql, const std::string& db = "postgres") const;
  Status Exec(const std::string& sql, const std::string& db = "postgres") const;
  std::string conninfo(const std::string& db = "postgres") const;
  const std::string& pgdata() const { return pgdata_; }
  int port() const { return port_; }
  std::string LogTail() const;

 private:
  std::string pgdata_;
  int port_ = 0;
  std::unique_ptr<Subprocess> proc_;
};

// Runs a command as postgres (pgbench, barman-cloud tools) with a timeout.
StatusOr<SubprocessResult> RunAsPostgres(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                         std::chrono::seconds timeout);

// A path of `binary` the postgres user can execute, for what postgres runs
// itself (archive_command, restore_command, a tool run as postgres). A
// checkout inside a directory only root can enter (a clone under /root, mode
// 700) leaves build/bin out of postgres' reach, and archive_command would exit
// 126; then the binary is copied into `dir` (which postgres must be able to
// enter, e.g. a test's temp dir under /tmp) and the copy's path returned.
// Otherwise the binary's own path. An error says what to do when neither works.
StatusOr<std::string> PostgresExecutable(const std::string& binary, const std::string& dir);

}  // namespace tusk::backup::testing
