#include "common/backup/archiver_service.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tusk::backup {
namespace {

StatusOr<sockaddr_un> Address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return InvalidArgumentError("socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// Reads one '\n'-terminated line within the deadline.
StatusOr<std::string> ReadLine(int fd, std::chrono::steady_clock::time_point deadline) {
  std::string line;
  char c;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return DeadlineExceededError("no answer from the archiver service in time");
    pollfd p{fd, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return ErrnoError("poll", errno);
    if (rc == 0) continue;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read", errno);
    if (n == 0) return UnavailableError("the archiver service closed the connection");
    if (c == '\n') return line;
    line.push_back(c);
    if (line.size() > 65536) return InvalidArgumentError("line too long");
  }
}

Status WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("send", errno);
    off += static_cast<size_t>(n);
  }
  return OkStatus();
}

}  // namespace

StatusOr<std::unique_ptr<ArchiverService>> ArchiverService::Start(const std::string& socket_path,
                                                                  WalArchiver* archiver, std::optional<Owner> owner,
                                                                  std::function<void()> backups_changed) {
  ASSIGN_OR_RETURN(sockaddr_un addr, Address(socket_path));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket", errno);
  ::unlink(socket_path.c_str());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoError("binding " + socket_path, err);
  }
  if (owner && (::chown(socket_path.c_str(), owner->uid, owner->gid) != 0 || ::chmod(socket_path.c_str(), 0600) != 0)) {
    int err = errno;
    ::close(fd);
    return ErrnoError("handing " + socket_path + " to uid " + std::to_string(owner->uid), err);
  }
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoError("pipe", err);
  }
  std::unique_ptr<ArchiverService> svc(new ArchiverService(socket_path, archiver, fd, wake));
  svc->backups_changed_ = std::move(backups_changed);
  svc->thread_ = std::thread([s = svc.get()] { s->Serve(); });
  return svc;
}

ArchiverService::ArchiverService(std::string path, WalArchiver* archiver, int listen_fd, int wake_fd[2])
    : path_(std::move(path)), archiver_(archiver), listen_fd_(listen_fd), wake_read_(wake_fd[0]),
      wake_write_(wake_fd[1]) {}

ArchiverService::~ArchiverService() { Stop(); }

void ArchiverService::Stop() {
  if (stopped_.exchange(true)) return;
  char c = 'x';
  (void)!::write(wake_write_, &c, 1);
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  ::close(wake_read_);
  ::close(wake_write_);
  ::unlink(path_.c_str());
}

void ArchiverService::Serve() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    int rc = ::poll(fds, 2, -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0 || (fds[1].revents & POLLIN)) return;
    if (fds[0].revents & POLLIN) {
      int conn = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      // postgres archives one file at a time, so requests are served in turn;
      // the parallelism is inside the archiver's look-ahead.
      if (conn >= 0) Handle(conn);
    }
  }
}

void ArchiverService::Handle(int fd) {
  auto line = ReadLine(fd, std::chrono::steady_clock::now() + std::chrono::seconds(30));
  std::string reply;
  if (!line.ok()) {
    reply = "ERROR " + line.status().message() + "\n";
  } else if (*line == "BACKUPS-CHANGED") {
    if (backups_changed_) backups_changed_();
    reply = "OK\n";
  } else if (line->rfind("ARCHIVE /", 0) != 0) {
    reply = "ERROR expected 'ARCHIVE <absolute path>'\n";
  } else {
    Status s = archiver_->Archive(line->substr(8));
    reply = s.ok() ? "OK\n" : "ERROR " + s.ToString() + "\n";
    for (auto& ch : reply) {
      if (ch == '\n' && &ch != &reply.back()) ch = ' ';
    }
  }
  WriteAll(fd, reply).IgnoreError();
  ::close(fd);
}

namespace {

// One request line to the service and its answer. Unavailable, as is, when
// nobody listens; later failures say they happened while `doing`.
StatusOr<std::string> Ask(const std::string& socket_path, const std::string& request, std::chrono::seconds timeout,
                          const std::string& doing) {
  ASSIGN_OR_RETURN(sockaddr_un addr, Address(socket_path));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket", errno);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd);
    return UnavailableError("archiver service at " + socket_path + " is not reachable: " + std::strerror(err));
  }
  Status s = WriteAll(fd, request + "\n");
  StatusOr<std::string> line = s.ok() ? ReadLine(fd, std::chrono::steady_clock::now() + timeout) : s;
  ::close(fd);
  if (!line.ok()) return line.status().WithContext(doing);
  if (line->rfind("ERROR ", 0) == 0) return AbortedError(line->substr(6));
  if (*line != "OK") return InternalError("unexpected answer from the archiver service: " + *line);
  return line;
}

}  // namespace

Status ArchiveThroughService(const std::string& socket_path, const std::string& wal_path,
                             std::chrono::seconds timeout) {
  return Ask(socket_path, "ARCHIVE " + wal_path, timeout, "archiving " + wal_path + " through the instance manager")
      .status();
}

Status NotifyBackupsChanged(const std::string& socket_path) {
  return Ask(socket_path, "BACKUPS-CHANGED", std::chrono::seconds(5), "telling the instance manager backups changed")
      .status();
}

}  // namespace tusk::backup
