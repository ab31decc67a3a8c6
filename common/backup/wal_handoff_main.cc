// tusk-wal-archive: the thinnest archive_command. postgres starts one process
// per WAL file, and starting `tusk-instance` (86 shared libraries, gRPC and
// protobuf initialisers) costs tens of milliseconds each time on its own, more
// than the hand-off itself. This program links nothing but libc: it sends the
// segment's path to the manager's archiver socket (the protocol of
// archiver_service.h) and exits 0 only on the manager's "OK", which comes
// once the object is stored. When no manager listens, it executes the full
// `<tool> wal-archive` named by --fallback, which uploads by itself.
//
//   tusk-wal-archive --socket PATH [--fallback TOOL] [--timeout SECONDS] %p
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

namespace {

int Usage() {
  fprintf(stderr, "usage: tusk-wal-archive --socket PATH [--fallback TOOL] [--timeout SECONDS] <%%p>\n");
  return 2;
}

long NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

// 0: connected; -1: nobody listens (fall back); 1: another failure, printed.
int Connect(const char* path, int* out) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr.sun_path) {
    fprintf(stderr, "tusk-wal-archive: socket path too long: %s\n", path);
    return 1;
  }
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    close(fd);
    if (err == ENOENT || err == ECONNREFUSED) return -1;
    fprintf(stderr, "tusk-wal-archive: connecting to %s: %s\n", path, strerror(err));
    return 1;
  }
  *out = fd;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const char* socket_path = nullptr;
  const char* fallback = nullptr;
  long timeout_s = 600;
  const char* wal = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
      socket_path = argv[++i];
    } else if (strcmp(argv[i], "--fallback") == 0 && i + 1 < argc) {
      fallback = argv[++i];
    } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
      timeout_s = strtol(argv[++i], nullptr, 10);
    } else if (argv[i][0] != '-' && wal == nullptr) {
      wal = argv[i];
    } else {
      return Usage();
    }
  }
  if (socket_path == nullptr || wal == nullptr || timeout_s <= 0) return Usage();
  char abs[PATH_MAX + 1];
  if (wal[0] == '/') {
    snprintf(abs, sizeof abs, "%s", wal);
  } else {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == nullptr) return 1;
    if (snprintf(abs, sizeof abs, "%s/%s", cwd, wal) >= static_cast<int>(sizeof abs)) return 1;
  }

  int fd = -1;
  int c = Connect(socket_path, &fd);
  if (c < 0) {
    if (fallback == nullptr) {
      fprintf(stderr, "tusk-wal-archive: no instance manager at %s and no --fallback\n", socket_path);
      return 1;
    }
    // The full tool sees the same socket (and says it is unreachable) and
    // uploads by itself with $TUSK_BACKUP_CONFIG.
    const char* args[] = {fallback, "wal-archive", "--socket", socket_path, abs, nullptr};
    execv(fallback, const_cast<char* const*>(args));
    fprintf(stderr, "tusk-wal-archive: exec %s: %s\n", fallback, strerror(errno));
    return 1;
  }
  if (c > 0) return 1;

  char request[PATH_MAX + 16];
  int n = snprintf(request, sizeof request, "ARCHIVE %s\n", abs);
  for (int off = 0; off < n;) {
    ssize_t w = send(fd, request + off, n - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      fprintf(stderr, "tusk-wal-archive: sending to %s: %s\n", socket_path, strerror(errno));
      return 1;
    }
    off += static_cast<int>(w);
  }
  // One reply line; the manager answers only once the object is stored.
  char reply[4096];
  size_t len = 0;
  const long deadline = NowMs() + timeout_s * 1000L;
  while (len < sizeof reply - 1 && (len == 0 || reply[len - 1] != '\n')) {
    long left = deadline - NowMs();
    if (left <= 0) {
      fprintf(stderr, "tusk-wal-archive: no answer from the instance manager within %lds\n", timeout_s);
      return 1;
    }
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      fprintf(stderr, "tusk-wal-archive: poll: %s\n", strerror(errno));
      return 1;
    }
    if (r == 0) continue;
    ssize_t got = read(fd, reply + len, sizeof reply - 1 - len);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      fprintf(stderr, "tusk-wal-archive: the instance manager closed the connection without an answer\n");
      return 1;
    }
    len += static_cast<size_t>(got);
  }
  reply[len] = '\0';
  close(fd);
  if (strcmp(reply, "OK\n") == 0) return 0;
  fprintf(stderr, "tusk-wal-archive: %s archiving %s: %s", socket_path, abs,
          strncmp(reply, "ERROR ", 6) == 0 ? reply + 6 : reply);
  return 1;
}
