#include "test/localkube/control.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace tusk::localkube {
namespace {

constexpr size_t kMaxMessage = 64 * 1024;

StatusOr<sockaddr_un> Address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return InvalidArgumentError("control socket path is too long (" + std::to_string(path.size()) +
                                " bytes, at most " + std::to_string(sizeof(addr.sun_path) - 1) + "): " + path);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// Reads until newline, EOF, the size limit or the deadline.
std::string ReadLine(int fd, MonoTime deadline) {
  std::string data;
  char buf[4096];
  while (data.find('\n') == std::string::npos && data.size() < kMaxMessage) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  return data;
}

bool WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

StatusOr<std::unique_ptr<ControlServer>> ControlServer::Listen(const std::string& path, Handler handler) {
  ASSIGN_OR_RETURN(sockaddr_un addr, Address(path));
  unlink(path.c_str());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket", errno);
  mode_t old = umask(0177);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  umask(old);
  if (rc != 0 || listen(fd, 16) != 0) {
    Status s = ErrnoError("listening on " + path, errno);
    close(fd);
    return s;
  }
  int stop = eventfd(0, EFD_CLOEXEC);
  if (stop < 0) {
    close(fd);
    return ErrnoError("eventfd", errno);
  }
  return std::unique_ptr<ControlServer>(new ControlServer(path, fd, stop, std::move(handler)));
}

ControlServer::ControlServer(std::string path, int listen_fd, int stop_fd, Handler handler)
    : path_(std::move(path)), listen_fd_(listen_fd), stop_fd_(stop_fd), handler_(std::move(handler)) {
  thread_ = std::thread([this] { Serve(); });
}

ControlServer::~ControlServer() {
  uint64_t one = 1;
  ssize_t written = write(stop_fd_, &one, sizeof one);  // an eventfd write cannot fail here
  (void)written;
  thread_.join();
  close(listen_fd_);
  close(stop_fd_);
  unlink(path_.c_str());
}

void ControlServer::Serve() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    int conn = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    // Requests are rare and each is short; one at a time keeps faults ordered.
    Answer(conn);
    close(conn);
  }
}

void ControlServer::Answer(int fd) {
  std::string line = ReadLine(fd, std::chrono::steady_clock::now() + std::chrono::seconds(5));
  nlohmann::json request = nlohmann::json::parse(line, nullptr, false);
  nlohmann::json answer;
  if (request.is_discarded() || !request.is_object()) {
    answer = {{"error", "malformed control request"}};
  } else {
    answer = handler_(request);
  }
  WriteAll(fd, answer.dump() + "\n");
}

StatusOr<nlohmann::json> ControlCall(const std::string& path, const nlohmann::json& request, Duration timeout) {
  ASSIGN_OR_RETURN(sockaddr_un addr, Address(path));
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket", errno);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    close(fd);
    return UnavailableError("localkube is not running there (" + path + ": " + std::strerror(err) + ")");
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!WriteAll(fd, request.dump() + "\n")) {
    close(fd);
    return UnavailableError("sending to " + path + " failed");
  }
  std::string line = ReadLine(fd, deadline);
  close(fd);
  nlohmann::json answer = nlohmann::json::parse(line, nullptr, false);
  if (answer.is_discarded()) return DeadlineExceededError("no answer from localkube within the timeout");
  return answer;
}

}  // namespace tusk::localkube
