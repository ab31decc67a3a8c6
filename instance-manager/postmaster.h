// The postgres server as the manager's child: started with its output on a
// pipe (forwarded as JSON log lines), watched through a pidfd so its death
// wakes the event loop at once, and stopped with PostgreSQL's three
// shutdown signals. An interface, so the manager's loop is tested with a
// fake (test/fakes/fake_postmaster.h).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "common/base/subprocess.h"
#include "instance-manager/child_reaper.h"

namespace tusk::instance {

enum class ShutdownMode { kSmart, kFast, kImmediate };

int ShutdownSignal(ShutdownMode mode);  // SIGTERM, SIGINT, SIGQUIT
const char* ShutdownModeName(ShutdownMode mode);

// The postgres server process, as the manager's loop drives it. Nothing
// here waits for postgres: Start returns once the child exists, a shutdown
// is a signal, and the exit arrives through pidfd() and Poll().
class Postmaster {
 public:
  virtual ~Postmaster() = default;

  virtual Status Start() = 0;
  virtual bool running() const = 0;
  virtual pid_t pid() const = 0;
  // Readable when the postmaster exits; -1 when not running.
  virtual int pidfd() const = 0;
  // Postgres's stdout+stderr (read end), handed over to its reader once;
  // -1 when there is none.
  virtual int TakeOutputFd() = 0;
  virtual Status Signal(int sig) = 0;
  // Reaps the postmaster if it has exited; returns its exit then.
  virtual std::optional<ExitInfo> Poll() = 0;
  // Whether postgres accepts connections (postmaster.pid says "ready" or
  // "standby"): read silently, where connection attempts during startup
  // each leave a FATAL in the log.
  virtual bool ReportsReady() const = 0;
};

// Removes PGDATA/postmaster.pid when the postgres it names is not running
// here. After a crash the file survives on the volume; in the restarted
// container its PID may be one of the manager's own threads, and postgres
// (and pg_rewind's crash recovery) would then refuse to start. A live
// postgres counts only if it shares this process's mount namespace (it could
// be using this data directory). True when a stale file was removed.
StatusOr<bool> RemoveStalePidFile(const std::string& pgdata);

// postgres as a direct child of the manager: own process group, the
// manager's death kills it, output on a pipe.
class ChildPostmaster final : public Postmaster {
 public:
  struct Config {
    std::string postgres_binary;  // .../bin/postgres
    std::string pgdata;
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
  };
  ChildPostmaster(Config config, ChildRegistry* registry);
  ~ChildPostmaster() override;
  ChildPostmaster(const ChildPostmaster&) = delete;
  ChildPostmaster& operator=(const ChildPostmaster&) = delete;

  Status Start() override;
  bool running() const override { return pid_ > 0; }
  pid_t pid() const override { return pid_; }
  int pidfd() const override { return pidfd_; }
  int TakeOutputFd() override {
    int fd = output_fd_;
    output_fd_ = -1;
    return fd;
  }
  Status Signal(int sig) override;
  std::optional<ExitInfo> Poll() override;
  bool ReportsReady() const override;

 private:
  void Cleanup();

  Config config_;
  ChildRegistry* registry_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int output_fd_ = -1;
};

}  // namespace tusk::instance
