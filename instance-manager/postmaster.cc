#include "instance-manager/postmaster.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "common/base/files.h"

namespace tusk::instance {

int ShutdownSignal(ShutdownMode mode) {
  switch (mode) {
    case ShutdownMode::kSmart: return SIGTERM;
    case ShutdownMode::kFast: return SIGINT;
    case ShutdownMode::kImmediate: return SIGQUIT;
  }
  return SIGINT;
}

const char* ShutdownModeName(ShutdownMode mode) {
  switch (mode) {
    case ShutdownMode::kSmart: return "smart";
    case ShutdownMode::kFast: return "fast";
    case ShutdownMode::kImmediate: return "immediate";
  }
  return "fast";
}

ChildPostmaster::ChildPostmaster(Config config, ChildRegistry* registry)
    : config_(std::move(config)), registry_(registry) {}

ChildPostmaster::~ChildPostmaster() {
  if (pid_ > 0) {
    // The manager is going away with postgres still up (an error path):
    // postgres must not outlive it.
    ::kill(pid_, SIGKILL);
    int ws;
    while (::waitpid(pid_, &ws, 0) < 0 && errno == EINTR) {
    }
    registry_->Release(pid_);
  }
  Cleanup();
}

void ChildPostmaster::Cleanup() {
  if (pidfd_ >= 0) ::close(pidfd_);
  if (output_fd_ >= 0) ::close(output_fd_);
  pidfd_ = output_fd_ = -1;
  pid_ = -1;
}

Status ChildPostmaster::Start() {
  if (pid_ > 0) return FailedPreconditionError("postgres is already running (pid " + std::to_string(pid_) + ")");
  Cleanup();
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return ErrnoError("pipe", errno);
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return ErrnoError("pipe", errno);
  }
  std::string bin = config_.postgres_binary, data = config_.pgdata;
  std::vector<char*> argv = {bin.data(), const_cast<char*>("-D"), data.data(), nullptr};
  const pid_t parent = ::getpid();
  auto pid = registry_->StartOwned([&]() -> StatusOr<pid_t> {
    pid_t p = ::fork();
    if (p < 0) return ErrnoError("fork", errno);
    if (p == 0) {
      auto fail = [&](int err) {
        ssize_t n = ::write(report[1], &err, sizeof(err));
        (void)n;
        ::_exit(127);
      };
      ::setpgid(0, 0);
      sigset_t all;
      sigemptyset(&all);
      ::sigprocmask(SIG_SETMASK, &all, nullptr);
      for (int sig = 1; sig < NSIG; ++sig) {
        if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
      }
      int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull < 0 || ::dup2(devnull, 0) < 0) fail(errno);
      if (::dup2(out[1], 1) < 0 || ::dup2(out[1], 2) < 0) fail(errno);
      if (config_.gid && ::setgid(*config_.gid) != 0) fail(errno);
      if (config_.uid && (::setgroups(0, nullptr) != 0 || ::setuid(*config_.uid) != 0)) fail(errno);
      // Postgres must not outlive the manager: the kubelet restarts the
      // container, and a stray postmaster would hold the data directory.
      // Set after the uid change, which clears the parent-death signal.
      if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(errno);
      if (::getppid() != parent) ::_exit(127);
      ::execv(argv[0], argv.data());
      fail(errno);
    }
    return p;
  });
  ::close(out[1]);
  ::close(report[1]);
  if (!pid.ok()) {
    ::close(out[0]);
    ::close(report[0]);
    return pid.status();
  }
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n == sizeof(child_errno)) {
    int ws;
    ::waitpid(*pid, &ws, 0);
    registry_->Release(*pid);
    ::close(out[0]);
    return ErrnoError("start " + bin, child_errno);
  }
  pid_ = *pid;
  output_fd_ = out[0];
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  return OkStatus();
}

Status ChildPostmaster::Signal(int sig) {
  if (pid_ <= 0) return FailedPreconditionError("postgres is not running");
  return KillPid(pid_, sig);
}

std::optional<ExitInfo> ChildPostmaster::Poll() {
  if (pid_ <= 0) return std::nullopt;
  int ws = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &ws, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return std::nullopt;
  ExitInfo info = r > 0 ? DecodeWaitStatus(ws) : ExitInfo{};
  registry_->Release(pid_);
  // Keep the output pipe: the forwarder drains what postgres wrote last.
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
  pid_ = -1;
  return info;
}

bool ChildPostmaster::ReportsReady() const {
  // Line 8 of postmaster.pid is the postmaster's state ("ready" or
  // "standby" once it accepts connections).
  auto text = ReadFile(config_.pgdata + "/postmaster.pid");
  if (!text.ok()) return false;
  size_t pos = 0;
  for (int line = 0; line < 7 && pos != std::string::npos; ++line) {
    pos = text->find('\n', pos);
    if (pos != std::string::npos) ++pos;
  }
  if (pos == std::string::npos) return false;
  std::string state = text->substr(pos, text->find('\n', pos) - pos);
  return state.rfind("ready", 0) == 0 || state.rfind("standby", 0) == 0;
}

StatusOr<bool> RemoveStalePidFile(const std::string& pgdata) {
  const std::string path = pgdata + "/postmaster.pid";
  auto text = ReadFile(path);
  if (!text.ok()) return text.status().code() == StatusCode::kNotFound ? StatusOr<bool>(false) : text.status();
  long pid = 0;
  for (char c : text->substr(0, text->find('\n'))) {
    if (c < '0' || c > '9' || pid > 4194304) {
      pid = 0;
      break;
    }
    pid = pid * 10 + (c - '0');
  }
  if (pid > 0) {
    auto comm = ReadFile("/proc/" + std::to_string(pid) + "/comm");
    char mine[64] = {0}, theirs[64] = {0};
    ssize_t a = ::readlink("/proc/self/ns/mnt", mine, sizeof(mine) - 1);
    ssize_t b = ::readlink(("/proc/" + std::to_string(pid) + "/ns/mnt").c_str(), theirs, sizeof(theirs) - 1);
    bool live_postgres = comm.ok() && comm->rfind("postgres", 0) == 0 && a > 0 && b > 0 && std::string(mine) == theirs;
    if (live_postgres) return false;
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("removing " + path, errno);
  return true;
}

}  // namespace tusk::instance
