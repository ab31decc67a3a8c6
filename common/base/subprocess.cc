#include "common/base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>

#include "common/base/signals.h"

extern char** environ;

namespace tusk {
namespace {

void CloseFd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

Status MakePipe(int fds[2]) {
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe", errno);
  return OkStatus();
}

std::vector<std::string> BuildEnv(const SubprocessOptions& o) {
  std::map<std::string, std::string> env;
  std::vector<std::string> order;
  auto put = [&](const std::string& kv) {
    auto eq = kv.find('=');
    std::string key = kv.substr(0, eq);
    if (!env.count(key)) order.push_back(key);
    env[key] = kv;
  };
  if (o.inherit_env) {
    for (char** e = environ; e && *e; ++e) put(*e);
  }
  for (const auto& kv : o.env) put(kv);
  std::vector<std::string> out;
  out.reserve(order.size());
  for (const auto& k : order) out.push_back(env[k]);
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Runs in the child, which shares the parent's memory until it execs
// (clone with CLONE_VM | CLONE_VFORK, as posix_spawn does): nothing but raw
// system calls, no allocation, no glibc state. Credentials change through
// syscall(): glibc's setuid/setgid/setgroups would broadcast the change to
// the threads glibc believes this process has, which are the parent's. On
// any failure the errno goes back through `report_fd` and the child exits 127.
struct ChildArgs {
  const SubprocessOptions* o;
  const char* path;
  char** argv;
  char** envp;
  int in_fd, out_fd, err_fd, report_fd;
  pid_t parent;
};

int ChildExec(void* arg) {
  const ChildArgs& a = *static_cast<const ChildArgs*>(arg);
  const SubprocessOptions& o = *a.o;
  auto fail = [&](int err) {
    ssize_t n = ::write(a.report_fd, &err, sizeof(err));
    (void)n;
    ::_exit(127);
  };
  if (o.new_process_group && ::setpgid(0, 0) != 0) fail(errno);
  // Every signal arrives blocked (see Start). Default dispositions first,
  // then an empty mask, so no handler of the parent ever runs here; neither
  // a blocked mask nor ignored signals (SignalFd, SIGPIPE) survive into exec.
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (::dup2(a.in_fd, 0) < 0) fail(errno);
  if (a.out_fd >= 0 && ::dup2(a.out_fd, 1) < 0) fail(errno);
  if (a.err_fd >= 0 && ::dup2(a.err_fd, 2) < 0) fail(errno);
  if (!o.working_dir.empty() && ::chdir(o.working_dir.c_str()) != 0) fail(errno);
  if (o.gid && ::syscall(SYS_setgid, *o.gid) != 0) fail(errno);
  if (o.uid) {
    if (::syscall(SYS_setgroups, 0, nullptr) != 0) fail(errno);
    if (::syscall(SYS_setuid, *o.uid) != 0) fail(errno);
  }
  // After the uid change: the kernel clears the parent-death signal when
  // credentials change, so setting it earlier would silently do nothing.
  if (o.kill_with_parent) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(errno);
    if (::getppid() != a.parent) ::_exit(127);  // parent already gone
  }
  ::execve(a.path, a.argv, a.envp);
  fail(errno);
  return 127;
}

}  // namespace

std::string ExitInfo::Describe() const {
  if (exited) return "exit code " + std::to_string(exit_code);
  if (signal) return "killed by " + SignalName(signal);
  return "still running";
}

ExitInfo DecodeWaitStatus(int wstatus) {
  ExitInfo e;
  if (WIFEXITED(wstatus)) {
    e.exited = true;
    e.exit_code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    e.signal = WTERMSIG(wstatus);
  }
  return e;
}

StatusOr<std::string> FindProgram(const std::string& program) {
  if (program.empty()) return InvalidArgumentError("empty program name");
  if (program.find('/') != std::string::npos) {
    if (::access(program.c_str(), X_OK) != 0) return ErrnoError(program, errno);
    return program;
  }
  const char* path_env = std::getenv("PATH");
  std::string path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate)) {
      return candidate;
    }
    start = end + 1;
  }
  return NotFoundError(program + ": not found on PATH");
}

StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(const SubprocessOptions& o) {
  if (o.argv.empty()) return InvalidArgumentError("subprocess: empty argument vector");
  ASSIGN_OR_RETURN(std::string path, FindProgram(o.argv[0]));

  std::vector<std::string> argv_copy = o.argv;
  std::vector<std::string> env = BuildEnv(o);
  std::vector<char*> argv = CStrings(argv_copy);
  std::vector<char*> envp = CStrings(env);

  std::unique_ptr<Subprocess> p(new Subprocess());
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, report[2] = {-1, -1};
  auto close_all = [&] {
    for (int* fds : {in, out, err, report}) {
      CloseFd(fds[0]);
      CloseFd(fds[1]);
    }
  };
  int devnull = -1;
  Status st = MakePipe(report);
  if (st.ok() && o.stdin_data) st = MakePipe(in);
  if (st.ok() && o.stdout_mode == OutputMode::kCapture) st = MakePipe(out);
  if (st.ok() && o.stderr_mode == OutputMode::kCapture) st = MakePipe(err);
  if (!st.ok()) {
    close_all();
    return st;
  }
  devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) {
    close_all();
    return ErrnoError("open /dev/null", errno);
  }
  int child_in = o.stdin_data ? in[0] : devnull;
  int child_out = o.stdout_mode == OutputMode::kCapture   ? out[1]
                  : o.stdout_mode == OutputMode::kDiscard ? devnull
                                                          : -1;
  int child_err = o.stderr_mode == OutputMode::kCapture   ? err[1]
                  : o.stderr_mode == OutputMode::kDiscard ? devnull
                                                          : -1;
  ChildArgs args{&o, path.c_str(), argv.data(), envp.data(), child_in, child_out, child_err, report[1], ::getpid()};
  // No fork: copying the page tables of a large, many-threaded parent (an
  // operator, localkube) costs far more than the program it starts. The
  // child borrows this thread's memory and a stack of its own until exec,
  // while this thread waits (CLONE_VFORK). Signals stay blocked across the
  // clone so none of our handlers runs in the child.
  constexpr size_t kChildStack = 64 * 1024;
  std::unique_ptr<char[]> stack(new char[kChildStack]);
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = ::clone(ChildExec, stack.get() + kChildStack, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
  int clone_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) {
    close_all();
    ::close(devnull);
    return ErrnoError("clone", clone_errno);
  }
  ::close(devnull);
  CloseFd(report[1]);
  CloseFd(in[0]);
  CloseFd(out[1]);
  CloseFd(err[1]);
  p->pid_ = pid;
  p->group_ = o.new_process_group;
  p->stdin_fd_ = in[1];
  p->stdout_fd_ = out[0];
  p->stderr_fd_ = err[0];
  if (o.stdin_data) p->stdin_data_ = *o.stdin_data;

  // The report pipe closes on a successful exec (CLOEXEC) or carries errno.
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  CloseFd(report[0]);
  if (n == sizeof(child_errno)) {
    p->Reap(true).IgnoreError();
    return ErrnoError("start " + o.argv[0], child_errno);
  }
  p->pid_fd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  return p;
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !exit_) {
    Signal(SIGKILL).IgnoreError();
    Reap(true).IgnoreError();
  }
  CloseFd(stdin_fd_);
  CloseFd(stdout_fd_);
  CloseFd(stderr_fd_);
  CloseFd(pid_fd_);
}

Status Subprocess::Reap(bool block) {
  if (exit_) return OkStatus();
  int wstatus = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &wstatus, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return ErrnoError("waitpid " + std::to_string(pid_), errno);
  if (r == 0) return OkStatus();
  exit_ = DecodeWaitStatus(wstatus);
  return OkStatus();
}

StatusOr<std::optional<ExitInfo>> Subprocess::Poll() {
  RETURN_IF_ERROR(Reap(false));
  return std::optional<ExitInfo>(exit_);
}

Status Subprocess::Signal(int sig) {
  if (exit_) return FailedPreconditionError("process " + std::to_string(pid_) + " already exited");
  return KillPid(group_ ? -pid_ : pid_, sig);
}

StatusOr<SubprocessResult> Subprocess::Communicate(std::optional<Duration> timeout) {
  SubprocessResult result;
  const auto deadline =
      timeout ? std::chrono::steady_clock::now() + *timeout : std::chrono::steady_clock::time_point::max();
  size_t stdin_off = 0;
  if (stdin_fd_ >= 0 && stdin_data_.empty()) CloseFd(stdin_fd_);
  if (stdin_fd_ >= 0) ::fcntl(stdin_fd_, F_SETFL, O_NONBLOCK);
  bool killed = false;
  char buf[65536];
  while (true) {
    if (!exit_) RETURN_IF_ERROR(Reap(false));
    const bool pipes_open = stdout_fd_ >= 0 || stderr_fd_ >= 0 || stdin_fd_ >= 0;
    // Done once the child is reaped and its output drained. After a kill, a
    // descendant outside the group may still hold the pipes: stop anyway.
    if (exit_ && (!pipes_open || killed)) break;
    int wait_ms = -1;
    if (timeout && !killed) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) {
        if (!exit_) Signal(SIGKILL).IgnoreError();
        killed = true;
        result.timed_out = true;
        continue;
      }
      wait_ms = static_cast<int>(left) + 1;
    }
    std::vector<pollfd> fds;
    if (stdout_fd_ >= 0) fds.push_back({stdout_fd_, POLLIN, 0});
    if (stderr_fd_ >= 0) fds.push_back({stderr_fd_, POLLIN, 0});
    if (stdin_fd_ >= 0) fds.push_back({stdin_fd_, POLLOUT, 0});
    if (!exit_) {
      if (pid_fd_ >= 0) {
        fds.push_back({pid_fd_, POLLIN, 0});
      } else {
        wait_ms = wait_ms < 0 ? 20 : std::min(wait_ms, 20);  // no pidfd: poll for the exit
      }
    }
    int r = ::poll(fds.data(), fds.size(), wait_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("poll", errno);
    }
    for (const auto& f : fds) {
      if (!f.revents || f.fd == pid_fd_) continue;
      if (f.fd == stdin_fd_) {
        ssize_t n = ::write(stdin_fd_, stdin_data_.data() + stdin_off, stdin_data_.size() - stdin_off);
        if (n > 0) stdin_off += static_cast<size_t>(n);
        // EPIPE means the child stopped reading its input: not our error.
        if ((n < 0 && errno != EAGAIN && errno != EINTR) || stdin_off >= stdin_data_.size()) {
          CloseFd(stdin_fd_);
        }
      } else {
        int& fd = f.fd == stdout_fd_ ? stdout_fd_ : stderr_fd_;
        ssize_t n = ::read(fd, buf, sizeof(buf));
        if (n > 0) {
          (&fd == &stdout_fd_ ? result.stdout_data : result.stderr_data).append(buf, static_cast<size_t>(n));
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
          CloseFd(fd);
        }
      }
    }
  }
  CloseFd(stdin_fd_);
  CloseFd(stdout_fd_);
  CloseFd(stderr_fd_);
  RETURN_IF_ERROR(Reap(true));
  result.exit = *exit_;
  return result;
}

StatusOr<SubprocessResult> RunSubprocess(const SubprocessOptions& options, std::optional<Duration> timeout) {
  ASSIGN_OR_RETURN(auto p, Subprocess::Start(options));
  return p->Communicate(timeout);
}

Status KillPid(pid_t pid, int sig) {
  if (pid == 0 || pid == -1) return InvalidArgumentError("refusing to signal pid " + std::to_string(pid));
  if (::kill(pid, sig) != 0) {
    if (errno == ESRCH) return NotFoundError("no process " + std::to_string(pid));
    return ErrnoError("kill " + std::to_string(pid), errno);
  }
  return OkStatus();
}

}  // namespace tusk
