// The postgres server as the manager's child: started with its output on a
// pipe (forwarded as JSON log lines), watched through a pidfd so its death
// wakes the event loop at once, and stopped with PostgreSQL's three
// shutdown signals.
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

class Postmaster {
 public:
  struct Config {
    std::string postgres_binary;  // .../bin/postgres
    std::string pgdata;
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
  };
  Postmaster(Config config, ChildRegistry* registry);
  ~Postmaster();
  Postmaster(const Postmaster&) = delete;
  Postmaster& operator=(const Postmaster&) = delete;

  Status Start();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // Readable when the postmaster exits; -1 when not running.
  int pidfd() const { return pidfd_; }
  // Postgres's stdout+stderr (read end), handed over to its reader once.
  int TakeOutputFd() {
    int fd = output_fd_;
    output_fd_ = -1;
    return fd;
  }

  Status Signal(int sig);
  // Reaps the postmaster if it has exited; returns its exit then.
  std::optional<ExitInfo> Poll();
  // Sends the mode's signal and waits up to `timeout` for the exit; returns
  // the exit, or DeadlineExceeded with postgres still running.
  StatusOr<ExitInfo> Stop(ShutdownMode mode, Duration timeout);

 private:
  void Cleanup();

  Config config_;
  ChildRegistry* registry_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int output_fd_ = -1;
};

}  // namespace tusk::instance
