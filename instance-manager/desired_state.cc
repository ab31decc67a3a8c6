#include "instance-manager/desired_state.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "common/base/files.h"

namespace tusk::instance {

StatusOr<std::unique_ptr<FileDesiredState>> FileDesiredState::Open(const std::string& path) {
  if (path.empty()) return InvalidArgumentError("--cluster-file is required (the Cluster object as JSON)");
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return ErrnoError("inotify_init1", errno);
  // Watch the directory: editors and WriteFileAtomic replace the file by
  // rename, which a watch on the file itself would miss.
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::filesystem::path dir = parent.empty() ? std::filesystem::path(".") : parent;
  if (::inotify_add_watch(fd, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MODIFY) < 0) {
    int e = errno;
    ::close(fd);
    return ErrnoError("inotify_add_watch " + dir.string(), e);
  }
  return std::unique_ptr<FileDesiredState>(new FileDesiredState(path, fd));
}

FileDesiredState::~FileDesiredState() {
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
}

bool FileDesiredState::Drain() {
  const std::string base = std::filesystem::path(path_).filename().string();
  alignas(inotify_event) char buf[8192];
  bool relevant = false;
  while (true) {
    ssize_t n = ::read(inotify_fd_, buf, sizeof(buf));
    if (n <= 0) break;
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(p);
      if (ev->len > 0 && base == ev->name) relevant = true;
      if (ev->mask & IN_Q_OVERFLOW) relevant = true;
      p += sizeof(inotify_event) + ev->len;
    }
  }
  return relevant;
}

StatusOr<pg::ClusterView> FileDesiredState::Read() {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path_));
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgumentError(path_ + ": not valid JSON");
  auto v = pg::ClusterViewFromJson(j);
  if (!v.ok()) return v.status().WithContext(path_);
  return v;
}

}  // namespace tusk::instance
