// Child processes started from an argument vector (never a shell), with
// captured output, timeouts and kill by PID. Each Subprocess owns its child:
// destroying one that still runs kills its process group and reaps it.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/base/status.h"

namespace tusk {

enum class OutputMode { kCapture, kInherit, kDiscard };

struct SubprocessOptions {
  // argv[0] is searched on PATH when it has no '/'.
  std::vector<std::string> argv;
  // "KEY=VALUE" entries. With inherit_env they are added to (and override)
  // the parent's environment; without it they are the whole environment.
  std::vector<std::string> env;
  bool inherit_env = true;
  std::string working_dir;
  // Drop to this user/group in the child (the parent must be root).
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  OutputMode stdout_mode = OutputMode::kCapture;
  OutputMode stderr_mode = OutputMode::kCapture;
  // Written to the child's stdin, which is then closed; otherwise /dev/null.
  std::optional<std::string> stdin_data;
  // The child leads a new process group, so a kill reaches its descendants.
  bool new_process_group = true;
  // The child receives SIGKILL if the thread that started it dies.
  bool kill_with_parent = true;
};

struct ExitInfo {
  bool exited = false;  // normal exit; otherwise killed by `signal`
  int exit_code = -1;
  int signal = 0;

  bool success() const { return exited && exit_code == 0; }
  // "exit code 3" or "killed by SIGKILL".
  std::string Describe() const;
};

struct SubprocessResult {
  ExitInfo exit;
  bool timed_out = false;
  std::string stdout_data;
  std::string stderr_data;
};

class Subprocess {
 public:
  static StatusOr<std::unique_ptr<Subprocess>> Start(const SubprocessOptions& options);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // Feeds stdin, collects captured output and waits for the exit. With a
  // timeout, the process group is killed with SIGKILL when it passes and the
  // result says timed_out.
  StatusOr<SubprocessResult> Communicate(std::optional<Duration> timeout = std::nullopt);

  // The exit, if the child has already exited (reaps it); never blocks.
  StatusOr<std::optional<ExitInfo>> Poll();

  // Sends `sig` to the child (its whole group when it leads one). A child
  // that was already reaped is not signalled: its PID may have been reused.
  Status Signal(int sig);

  bool reaped() const { return exit_.has_value(); }

 private:
  Subprocess() = default;
  Status Reap(bool block);

  pid_t pid_ = -1;
  bool group_ = false;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  int pid_fd_ = -1;
  std::string stdin_data_;
  std::optional<ExitInfo> exit_;
};

// Start, Communicate, done: the common case.
StatusOr<SubprocessResult> RunSubprocess(const SubprocessOptions& options,
                                         std::optional<Duration> timeout = std::nullopt);

// kill(2) with a Status; ESRCH (already gone) is NotFound.
Status KillPid(pid_t pid, int sig);

// Decodes a waitpid status word.
ExitInfo DecodeWaitStatus(int wstatus);

// Absolute path of `program` on PATH (or as given when it has a '/').
StatusOr<std::string> FindProgram(const std::string& program);

}  // namespace tusk
