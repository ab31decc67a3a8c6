#include "test/localkube/runtime/container_launch.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace tusk::localkube {
namespace {

namespace fs = std::filesystem;

// One step of building the root, computed in the parent so the child only
// walks a list of plain C strings.
struct Op {
  enum Kind { kMkdir, kTouch, kSymlink, kBind, kTmpfs, kProc, kRemountRo };
  Op(Kind k, std::string first, std::string second = "", unsigned long f = 0, mode_t m = 0755)
      : kind(k), a(std::move(first)), b(std::move(second)), flags(f), mode(m) {}
  Kind kind;
  std::string a, b;  // kind-dependent: path / source,target / target,link
  unsigned long flags;
  mode_t mode;
};

constexpr std::chrono::seconds kStartTimeout{30};

constexpr const char* kHostRootDirs[] = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt"};
constexpr const char* kDevices[] = {"null", "zero", "full", "random", "urandom", "tty"};

std::string In(const std::string& root, const std::string& path) { return root + path; }

// mkdir -p of `path` inside the root, one op per component.
void MkdirAll(const std::string& root, const std::string& path, std::vector<Op>* ops) {
  std::string sofar;
  for (const auto& part : fs::path(path)) {
    if (part == "/") continue;
    sofar += "/" + part.string();
    ops->push_back({Op::kMkdir, In(root, sofar), "", 0, 0755});
  }
}

// `source` is checked on the host; `child_source` is how the child names it
// (the same path, or under the old root once it has pivoted).
void Bind(const std::string& root, const std::string& source, const std::string& target, bool ro,
          std::vector<Op>* ops, const std::string& child_source = "") {
  std::error_code ec;
  if (fs::is_directory(source, ec)) {
    MkdirAll(root, target, ops);
  } else {
    MkdirAll(root, fs::path(target).parent_path().string(), ops);
    ops->push_back({Op::kTouch, In(root, target)});
  }
  ops->push_back({Op::kBind, child_source.empty() ? source : child_source, In(root, target), MS_BIND | MS_REC});
  if (ro) ops->push_back({Op::kRemountRo, In(root, target)});
}

// Host entries are recreated as they are: symlinks as symlinks (merged /usr
// makes /bin a link), directories and files as read-only binds.
void MirrorHostEntry(const std::string& root, const std::string& host_path, std::vector<Op>* ops) {
  std::error_code ec;
  auto status = fs::symlink_status(host_path, ec);
  if (ec || !fs::exists(status)) return;
  if (fs::is_symlink(status)) {
    ops->push_back({Op::kSymlink, fs::read_symlink(host_path, ec).string(), In(root, host_path)});
  } else if (fs::is_directory(status) || fs::is_regular_file(status)) {
    Bind(root, host_path, host_path, true, ops);
  }
}

std::vector<Op> PlanRoot(const LaunchSpec& spec) {
  const std::string& root = spec.root_mountpoint;
  std::vector<Op> ops;
  ops.push_back({Op::kTmpfs, "tmpfs", root, 0, 0755});
  for (const char* dir : kHostRootDirs) MirrorHostEntry(root, dir, &ops);
  // /etc is the host's, entry by entry, so the pod's own files can sit in
  // it without touching the host's.
  ops.push_back({Op::kMkdir, In(root, "/etc"), "", 0, 0755});
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/etc", ec)) {
    const std::string name = entry.path().filename().string();
    bool overridden = false;
    for (const auto& [n, source] : spec.etc_files) overridden = overridden || n == name;
    if (!overridden) MirrorHostEntry(root, entry.path().string(), &ops);
  }
  for (const auto& [name, source] : spec.etc_files) Bind(root, source, "/etc/" + name, true, &ops);
  ops.push_back({Op::kMkdir, In(root, "/dev"), "", 0, 0755});
  ops.push_back({Op::kTmpfs, "tmpfs", In(root, "/dev"), MS_NOSUID, 0755});
  for (const char* dev : kDevices) {
    ops.push_back({Op::kTouch, In(root, std::string("/dev/") + dev)});
    ops.push_back({Op::kBind, std::string("/dev/") + dev, In(root, std::string("/dev/") + dev), MS_BIND});
  }
  ops.push_back({Op::kSymlink, "/proc/self/fd", In(root, "/dev/fd")});
  ops.push_back({Op::kSymlink, "/proc/self/fd/0", In(root, "/dev/stdin")});
  ops.push_back({Op::kSymlink, "/proc/self/fd/1", In(root, "/dev/stdout")});
  ops.push_back({Op::kSymlink, "/proc/self/fd/2", In(root, "/dev/stderr")});
  ops.push_back({Op::kMkdir, In(root, "/dev/shm"), "", 0, 01777});
  ops.push_back({Op::kTmpfs, "tmpfs", In(root, "/dev/shm"), MS_NOSUID | MS_NODEV, 01777});
  ops.push_back({Op::kMkdir, In(root, "/proc"), "", 0, 0555});
  ops.push_back({Op::kProc, "proc", In(root, "/proc")});
  ops.push_back({Op::kMkdir, In(root, "/sys"), "", 0, 0555});
  ops.push_back({Op::kBind, "/sys", In(root, "/sys"), MS_BIND | MS_REC});
  ops.push_back({Op::kRemountRo, In(root, "/sys")});
  for (const char* dir : {"/tmp", "/run", "/var", "/home", "/root"}) {
    const mode_t mode = std::string(dir) == "/tmp" ? 01777 : 0755;
    ops.push_back({Op::kMkdir, In(root, dir), "", 0, mode});
    ops.push_back({Op::kTmpfs, "tmpfs", In(root, dir), MS_NOSUID | MS_NODEV, mode});
  }
  ops.push_back({Op::kSymlink, "../run", In(root, "/var/run")});
  ops.push_back({Op::kMkdir, In(root, "/var/tmp"), "", 0, 01777});
  ops.push_back({Op::kMkdir, In(root, "/var/lib"), "", 0, 0755});
  ops.push_back({Op::kMkdir, In(root, "/var/log"), "", 0, 0755});
  // Debian-built PostgreSQL puts its socket here by default.
  ops.push_back({Op::kMkdir, In(root, "/run/postgresql"), "", 0, 01777});
  // The image's program directories last: one under /root, /tmp, /home,
  // /run or /var (a checkout in root's home, say) would otherwise be hidden
  // by the tmpfs mounted there above. Inside, the path's directories are the
  // tmpfs's, so a host directory only root may enter does not hide it either.
  for (const auto& dir : spec.host_dirs) {
    bool covered = false;
    for (const char* top : kHostRootDirs) covered = covered || dir.rfind(std::string(top) + "/", 0) == 0;
    if (!covered) Bind(root, dir, dir, true, &ops);
  }
  return ops;
}

constexpr char kOldRoot[] = "/.old-root";

// Volume binds are made after pivot_root, so a mountPath that crosses a
// symlink (/var/run -> /run) resolves inside the container's root, never on
// the host; their sources are reached through the old root.
std::vector<Op> PlanVolumes(const LaunchSpec& spec) {
  std::vector<Op> ops;
  for (const auto& m : spec.volumes) Bind("", m.source, m.target, m.read_only, &ops, kOldRoot + m.source);
  return ops;
}

// Everything the child needs, prepared by the parent: after clone() in a
// threaded process the child must not allocate (another thread may have
// held the malloc lock at the moment of the clone), so it only reads these.
struct ChildArgs {
  const LaunchSpec* spec;
  const std::vector<Op>* ops;
  const std::vector<Op>* volume_ops;
  std::vector<std::string> candidates;  // argv[0] on each PATH dir
  std::vector<char*> argv, envp;
  std::string old_root;     // <root>/.old-root
  std::string working_dir;  // "/" when the spec has none
  int netns_fd, log_fd, null_fd, err_fd;
};

[[noreturn]] void Fail(const ChildArgs& a, const char* step, const char* what) {
  char buf[512];
  int n = std::snprintf(buf, sizeof buf, "%s %s: %s", step, what, std::strerror(errno));
  if (n > 0) (void)!::write(a.err_fd, buf, static_cast<size_t>(std::min(n, int(sizeof buf) - 1)));
  ::_exit(127);
}

void RunOps(const ChildArgs& a, const std::vector<Op>& ops) {
  for (const Op& op : ops) {
    int rc = 0;
    switch (op.kind) {
      case Op::kMkdir:
        rc = ::mkdir(op.a.c_str(), op.mode);
        if (rc != 0 && errno == EEXIST) rc = 0;
        if (rc == 0 && op.mode != 0755) rc = ::chmod(op.a.c_str(), op.mode);
        break;
      case Op::kTouch: {
        int fd = ::open(op.a.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        rc = fd < 0 ? -1 : ::close(fd);
        break;
      }
      case Op::kSymlink:
        rc = ::symlink(op.a.c_str(), op.b.c_str());
        if (rc != 0 && errno == EEXIST) rc = 0;
        break;
      case Op::kBind:
        rc = ::mount(op.a.c_str(), op.b.c_str(), nullptr, op.flags, nullptr);
        break;
      case Op::kTmpfs: {
        char opts[32];
        std::snprintf(opts, sizeof opts, "mode=%o", op.mode);
        rc = ::mount("tmpfs", op.b.c_str(), "tmpfs", op.flags, opts);
        break;
      }
      case Op::kProc:
        rc = ::mount("proc", op.b.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
        break;
      case Op::kRemountRo:
        rc = ::mount(nullptr, op.a.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr);
        break;
    }
    if (rc != 0) {
      const bool target_in_b = op.kind == Op::kBind || op.kind == Op::kTmpfs || op.kind == Op::kProc;
      Fail(a, "prepare root:", target_in_b ? op.b.c_str() : op.a.c_str());
    }
  }
}

int ChildMain(void* arg) {
  const ChildArgs& a = *static_cast<ChildArgs*>(arg);
  const LaunchSpec& spec = *a.spec;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
  if (::setns(a.netns_fd, CLONE_NEWNET) != 0) Fail(a, "join network namespace", spec.netns_path.c_str());
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) Fail(a, "make mounts private", "/");
  if (::sethostname(spec.hostname.data(), spec.hostname.size()) != 0) Fail(a, "sethostname", spec.hostname.c_str());
  RunOps(a, *a.ops);
  const char* root = spec.root_mountpoint.c_str();
  if (::mkdir(a.old_root.c_str(), 0700) != 0) Fail(a, "mkdir", a.old_root.c_str());
  if (::syscall(SYS_pivot_root, root, a.old_root.c_str()) != 0) Fail(a, "pivot_root", root);
  if (::chdir("/") != 0) Fail(a, "chdir", "/");
  RunOps(a, *a.volume_ops);
  if (::umount2("/.old-root", MNT_DETACH) != 0) Fail(a, "umount", "old root");
  ::rmdir("/.old-root");
  if (::setgroups(spec.groups.size(), spec.groups.data()) != 0) Fail(a, "setgroups", "");
  if (::setgid(spec.gid) != 0) Fail(a, "setgid", "");
  if (::setuid(spec.uid) != 0) Fail(a, "setuid", "");
  if (::chdir(a.working_dir.c_str()) != 0) Fail(a, "chdir to workingDir", a.working_dir.c_str());
  if (::dup2(a.null_fd, 0) < 0 || ::dup2(a.log_fd, 1) < 0 || ::dup2(a.log_fd, 2) < 0) Fail(a, "dup2", "log");
  ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  int saved = ENOENT;
  for (const auto& path : a.candidates) {
    ::execve(path.c_str(), a.argv.data(), a.envp.data());
    if (errno != ENOENT) saved = errno;
  }
  errno = saved;
  Fail(a, "exec", spec.argv[0].c_str());
}

}  // namespace

StatusOr<pid_t> LaunchContainer(const LaunchSpec& spec) {
  if (spec.argv.empty()) return InvalidArgumentError("container has no command");
  std::error_code ec;
  fs::create_directories(spec.root_mountpoint, ec);
  if (ec) return InternalError("mkdir " + spec.root_mountpoint + ": " + ec.message());
  const std::vector<Op> ops = PlanRoot(spec);
  const std::vector<Op> volume_ops = PlanVolumes(spec);
  ChildArgs a{&spec, &ops, &volume_ops, {}, {}, {}, spec.root_mountpoint + kOldRoot,
              spec.working_dir.empty() ? "/" : spec.working_dir, -1, -1, -1, -1};
  if (spec.argv[0].find('/') != std::string::npos) {
    a.candidates.push_back(spec.argv[0]);
  } else {
    for (const auto& dir : spec.path) a.candidates.push_back(dir + "/" + spec.argv[0]);
  }
  for (const auto& s : spec.argv) a.argv.push_back(const_cast<char*>(s.c_str()));
  a.argv.push_back(nullptr);
  for (const auto& s : spec.env) a.envp.push_back(const_cast<char*>(s.c_str()));
  a.envp.push_back(nullptr);

  int pipe_fds[2] = {-1, -1};
  a.netns_fd = ::open(spec.netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  a.log_fd = ::open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  a.null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int pipe_rc = ::pipe2(pipe_fds, O_CLOEXEC);
  auto close_all = [&] {
    for (int fd : {a.netns_fd, a.log_fd, a.null_fd, pipe_fds[0], pipe_fds[1]}) {
      if (fd >= 0) ::close(fd);
    }
  };
  if (a.netns_fd < 0 || a.log_fd < 0 || a.null_fd < 0 || pipe_rc != 0) {
    const int err = errno;
    close_all();
    return ErrnoError(a.netns_fd < 0 ? "open " + spec.netns_path : "open " + spec.log_path, err);
  }
  a.err_fd = pipe_fds[1];
  constexpr size_t kStack = 1 << 20;
  void* stack = ::mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) {
    close_all();
    return ErrnoError("mmap", errno);
  }
  const int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
  const pid_t pid = ::clone(ChildMain, static_cast<char*>(stack) + kStack, flags, &a);
  const int clone_err = errno;
  ::close(pipe_fds[1]);
  pipe_fds[1] = -1;
  std::string error;
  if (pid > 0) {
    // The pipe closes on a successful exec (CLOEXEC) or carries the step
    // that failed.
    // Bounded: a child that neither execs nor reports within the limit is
    // killed rather than left to hang the pod's worker.
    char buf[512];
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{pipe_fds[0], POLLIN, 0};
      const int ready = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) {
        ::kill(pid, SIGKILL);
        error = "container did not start within " + std::to_string(kStartTimeout.count()) + " s";
        break;
      }
      const ssize_t n = ::read(pipe_fds[0], buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      error.append(buf, static_cast<size_t>(n));
    }
  }
  close_all();
  ::munmap(stack, kStack);
  if (pid < 0) return ErrnoError("clone", clone_err);
  if (!error.empty()) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return FailedPreconditionError(error);
  }
  return pid;
}

}  // namespace tusk::localkube
