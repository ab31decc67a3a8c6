#include "instance-manager/log_forwarder.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/base/files.h"

namespace tusk::instance {

ForwardedRecord ParsePostgresLogLine(const std::string& line, bool json) {
  ForwardedRecord out;
  if (json) {
    out.record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  }
  if (!json || !out.record.is_object()) {
    out.record = nlohmann::json{{"message", line}};
    return out;
  }
  std::string sev = out.record.value("error_severity", "");
  if (sev == "ERROR" || sev == "FATAL" || sev == "PANIC") {
    out.level = log::Level::kError;
  } else if (sev == "WARNING") {
    out.level = log::Level::kWarn;
  } else if (sev.rfind("DEBUG", 0) == 0) {
    out.level = log::Level::kDebug;
  }
  return out;
}

LogForwarder::LogForwarder(log::Logger logger) : logger_(std::move(logger)) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { Loop(); });
}

LogForwarder::~LogForwarder() {
  Stop();
  for (auto& s : sources_) ::close(s.fd);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void LogForwarder::Stop() {
  if (stop_.exchange(true)) return;
  uint64_t one = 1;
  ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  (void)n;
  if (thread_.joinable()) thread_.join();
}

Status LogForwarder::Start(const std::string& dir, uid_t uid, gid_t gid) {
  RETURN_IF_ERROR(MakeDirs(dir, 0700));
  if (::chown(dir.c_str(), uid, gid) != 0 && errno != EPERM) return ErrnoError("chown " + dir, errno);
  for (const auto& [name, json] : {std::pair<const char*, bool>{"postgres.json", true}, {"postgres", false}}) {
    std::string path = dir + "/" + name;
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && !S_ISFIFO(st.st_mode)) ::unlink(path.c_str());
    if (::mkfifo(path.c_str(), 0600) != 0 && errno != EEXIST) return ErrnoError("mkfifo " + path, errno);
    if (::chown(path.c_str(), uid, gid) != 0 && errno != EPERM) return ErrnoError("chown " + path, errno);
    // Opened read-write so the FIFO never reports end-of-file between
    // postgres restarts, and opening never blocks.
    int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return ErrnoError("open " + path, errno);
    std::lock_guard<std::mutex> lock(mu_);
    sources_.push_back({fd, json, ""});
  }
  uint64_t one = 1;
  ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  (void)n;
  return OkStatus();
}

void LogForwarder::AddTextFd(int fd) {
  if (fd < 0) return;
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  {
    std::lock_guard<std::mutex> lock(mu_);
    sources_.push_back({fd, false, ""});
  }
  uint64_t one = 1;
  ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  (void)n;
}

void LogForwarder::Emit(const std::string& line, bool json) {
  if (line.empty()) return;
  ForwardedRecord r = ParsePostgresLogLine(line, json);
  logger_.Log(r.level, "record", {{"record", r.record}});
}

void LogForwarder::Loop() {
  char buf[65536];
  while (true) {
    std::vector<pollfd> fds;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& s : sources_) fds.push_back({s.fd, POLLIN, 0});
    }
    fds.push_back({wake_fd_, POLLIN, 0});
    int r = ::poll(fds.data(), fds.size(), -1);
    if (r < 0 && errno != EINTR) break;
    if (fds.back().revents) {
      uint64_t v;
      ssize_t n = ::read(wake_fd_, &v, sizeof(v));
      (void)n;
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i + 1 < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      Source& s = sources_[i];
      ssize_t n = ::read(s.fd, buf, sizeof(buf));
      if (n > 0) {
        s.partial.append(buf, static_cast<size_t>(n));
        size_t start = 0, nl;
        while ((nl = s.partial.find('\n', start)) != std::string::npos) {
          Emit(s.partial.substr(start, nl - start), s.json);
          start = nl + 1;
        }
        s.partial.erase(0, start);
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        Emit(s.partial, s.json);
        s.partial.clear();
        ::close(s.fd);
        s.fd = -1;
      }
    }
    std::erase_if(sources_, [](const Source& s) { return s.fd < 0; });
    if (stop_) {
      // Drain once more without blocking, then leave.
      break;
    }
  }
}

}  // namespace tusk::instance
